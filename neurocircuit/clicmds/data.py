"""``neurocircuit data fetch NAME --to DIR`` and ``neurocircuit data info [--data-dir DIR]``.

``fetch`` downloads MNIST, Fashion-MNIST or the Free Spoken Digit Dataset from their known
locations and keeps a file only after its checksum matches
(:mod:`neurocircuit.snn.datafiles`). ``info`` lists what a data directory holds: files found,
sample counts and checksum status.
"""

from __future__ import annotations

import argparse
import json
import sys


def _cmd_fetch(args: argparse.Namespace) -> int:
    from ..snn.datafiles import fetch

    files = fetch(
        args.name,
        args.to,
        base_url=args.url,
        log=lambda msg: print(msg, file=sys.stderr),
    )
    print(f"{args.name}: {len(files)} file(s) verified and written under {args.to}")
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    from ..snn.datafiles import info, resolve_data_dir

    root = resolve_data_dir(args.data_dir)
    rows = info(root, verify=not args.no_verify)
    if args.json:
        print(json.dumps({"data_dir": str(root), "datasets": rows}, indent=1))
        return 0
    print(f"data directory: {root}")
    print("  digits         -     bundled  (scikit-learn load_digits, always available)")
    for r in rows:
        count = "-" if r["count"] is None else str(r["count"])
        print(f"  {r['dataset']:<14} {r['split']:<5} {r['status']:<8} n={count:<6} "
              f"checksum: {r['checksum']}")
        if r["status"] == "missing" and args.verbose:
            print(f"      {r['message']}")
    bad = [r for r in rows if r["checksum"] == "MISMATCH"]
    return 1 if bad else 0


def register(subparsers) -> None:
    """Add the ``data`` command with its ``fetch`` and ``info`` verbs."""
    p = subparsers.add_parser(
        "data", help="download and inspect datasets (MNIST, Fashion-MNIST, FSDD)"
    )
    sub = p.add_subparsers(dest="data_command", metavar="VERB")
    f = sub.add_parser("fetch", help="download a dataset with checksum verification")
    f.add_argument("name", choices=("mnist", "fashion-mnist", "fsdd"))
    f.add_argument("--to", required=True, metavar="DIR", help="target data directory")
    f.add_argument("--url", default=None, help="override the download location (mirror)")
    f.set_defaults(func=_cmd_fetch)
    i = sub.add_parser("info", help="list the datasets found in a data directory")
    i.add_argument(
        "--data-dir", default=None, metavar="DIR", help="default: $NEUROCIRCUIT_DATA"
    )
    i.add_argument("--no-verify", action="store_true", help="skip checksum computation")
    i.add_argument("--json", action="store_true", help="machine-readable output")
    i.add_argument("-v", "--verbose", action="store_true", help="explain missing files")
    i.set_defaults(func=_cmd_info)
    p.set_defaults(func=lambda _args: (p.print_help(), 2)[1])
