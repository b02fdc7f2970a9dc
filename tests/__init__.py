"""moontwist's test suite.

No test reaches the network: announcement feeds are fetched from a loopback
port where nothing listens, unless a test serves feeds itself.
"""

import os

os.environ.setdefault("MOONTWIST_ANNOUNCEMENTS_URL", "http://127.0.0.1:9/moonlight")
