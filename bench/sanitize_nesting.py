"""CPU of the sanitizer on nesting bombs: the bare library call (nh3.clean, which is what
``sanitize`` ran before it flattened deep nesting) against ``sanitize`` now, side by side in
one run. ``python -m bench.sanitize_nesting [--depths 25000,50000,100000,200000]``.

The bare call grows faster than linearly with depth (200,000 levels: about two minutes), so
the default depths stop at 100,000."""

from __future__ import annotations

import argparse
import time

import nh3

from newswire.sanitizer import sanitize


def cpu_s(call: object) -> float:
    start = time.process_time()
    call()  # type: ignore[operator]
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depths", default="25000,50000,100000")
    parser.add_argument("--tag", default="ul")
    args = parser.parse_args()
    print(f"| nested <{args.tag}> | bytes | nh3.clean CPU s | sanitize CPU s | ratio |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for depth in (int(d) for d in args.depths.split(",")):
        html = f"<{args.tag}>" * depth + "text" + f"</{args.tag}>" * depth
        bare = cpu_s(lambda html=html: nh3.clean(html, url_schemes={"http", "https"}))
        ours = cpu_s(lambda html=html: sanitize(html, None))
        print(f"| {depth:,} | {len(html):,} | {bare:.2f} | {ours:.3f} | {bare / ours:,.0f}x |")


if __name__ == "__main__":
    main()
