"""``[zeroconf]``: announcing the printer on the LAN (mDNS), for front ends that look for it.

Imported only when ``[zeroconf]`` is configured: the zeroconf package is loaded with it.
"""
