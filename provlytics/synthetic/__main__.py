"""`python -m provlytics.synthetic OUTDIR`: write the sample set into OUTDIR."""

from __future__ import annotations

import argparse
import logging

from provlytics.synthetic.samples import write_samples


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and write the samples."""
    parser = argparse.ArgumentParser(
        prog="python -m provlytics.synthetic",
        description="Write the deterministic synthetic sample set (data/samples).",
    )
    parser.add_argument("outdir", help="folder to write into (created if missing)")
    parser.add_argument("-q", "--quiet", action="store_true", help="log warnings only")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(message)s")
    paths = write_samples(args.outdir)
    logging.getLogger(__name__).info("%d files written to %s", len(paths), args.outdir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
