"""Entry point: `lumen import FILE`, `lumen sync`, `lumen worker`."""

import argparse

from lumen_cli import importer, sync


def main() -> None:
    parser = argparse.ArgumentParser(prog="lumen")
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="import orders from a CSV export")
    imp.add_argument("file")
    sub.add_parser("sync", help="pull new orders into the local cache")
    sub.add_parser("worker", help="background worker that refreshes the cache")
    args = parser.parse_args()
    if args.command == "import":
        importer.import_orders(args.file)
    elif args.command == "sync":
        sync.sync_orders()
    else:
        sync.run_worker()
