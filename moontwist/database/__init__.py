"""The database: namespaces of JSON records in one lmdb environment.

Layout: one lmdb database (no named sub-databases); a record's key is
``<namespace> NUL <record key>`` in UTF-8 and its value the record as JSON
(``moontwist.protocols.jsoncodec``). A key prefix rather than a sub-database
per namespace because then a namespace exists exactly while it has records
(deleting the last one removes it from the list with nothing to drop), a
batch can span namespaces without opening database handles inside write
transactions (a handle opened in an aborted transaction is lost, and batches
are retried when the map grows), and there is no ``max_dbs`` ceiling. Listing
the namespaces is one cursor seek per namespace.

The environment lives in ``<data_path>/database/moontwist/``, beside (not in)
the files Moonraker keeps in ``<data_path>/database/``, so that a Moonraker
database there stays intact and can be imported (``python -m
moontwist.database import``).
"""

from moontwist.database.namespace import Namespace
from moontwist.database.records import Key, parse_api_key
from moontwist.database.store import DEFAULT_MAP_SIZE, DatabaseLocked, Store, store_path

__all__ = [
    "DEFAULT_MAP_SIZE",
    "DatabaseLocked",
    "Key",
    "Namespace",
    "Store",
    "parse_api_key",
    "store_path",
]
