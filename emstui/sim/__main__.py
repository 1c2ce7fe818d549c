"""`python -m emstui.sim`: run the simulator in the foreground and print its URLs."""

from __future__ import annotations

import argparse
import sys
import threading

from emstui.sim.server import SimServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m emstui.sim",
        description="Loopback server speaking 17TRACK v2.2 and the EMS tracker, with simulated "
                    "parcel journeys. Runs until Ctrl-C.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument("--key", default="sim-key", help="the 17token the server accepts")
    parser.add_argument("--quota", type=int, default=100)
    parser.add_argument("--time-scale", type=float, default=1.0,
                        help="simulated seconds per real second (1440: a day per minute)")
    parser.add_argument("--rate-limit", type=float, default=3.0,
                        help="17TRACK requests per second per key (0 disables)")
    parser.add_argument("--seed", type=int, default=0, help="seed for random faults")
    parser.add_argument("--demo-numbers", action="store_true",
                        help="assign and print a dozen numbers covering every scenario")
    args = parser.parse_args(argv)

    sim = SimServer(host=args.host, port=args.port, api_key=args.key, quota=args.quota,
                    time_scale=args.time_scale, rate_limit=args.rate_limit, seed=args.seed)
    try:
        sim.start()
    except OSError as exc:
        print(f"emstui.sim: cannot listen on {args.host}:{args.port}: {exc.strerror}",
              file=sys.stderr)
        return 2
    print(f"base    {sim.base_url}")
    print(f"17track {sim.url_17track}")
    print(f"ems     {sim.url_ems}")
    if args.key == "sim-key":
        print("17token sim-key")
    if args.demo_numbers:
        for number, label, scenario in sim.load_demo():
            print(f"{number}  {scenario:<28} {label}")
    sys.stdout.flush()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        return 130
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
