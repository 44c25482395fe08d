#!/usr/bin/env python3
"""Writes the generated runbooks the benchmarks use into the folder given as argv[1]."""
import os
import sys


def header(name):
    return f"version: 1\nname: {name}\n"


def validate_5k():
    """5,000 exec steps: a chain with fan-in every tenth step, params and expressions."""
    out = [header("bench-validate-5k"),
           "params:\n  root:\n    type: string\n    default: /tmp\n",
           "steps:\n"]
    for i in range(5000):
        out.append(f"  - id: s{i}\n    uses: exec\n")
        needs = [f"s{i - 1}"] if i else []
        if i >= 10 and i % 10 == 0:
            needs.append(f"s{i - 10}")
        if needs:
            out.append(f"    needs: [{', '.join(needs)}]\n")
        out.append("    timeout: 30s\n    with:\n")
        out.append(f"      run: [/bin/echo, 'step {i}', '${{{{ params.root }}}}']\n")
        if i:
            out.append(f"    if: ${{{{ steps.s{i - 1}.outcome == 'success' }}}}\n")
    return "".join(out)


def exec_chain_1k():
    out = [header("bench-exec-chain-1k"), "max_parallel: 1\nsteps:\n"]
    for i in range(1000):
        out.append(f"  - id: s{i}\n    uses: exec\n    with: {{run: [/bin/true]}}\n")
        if i:
            out.append(f"    needs: [s{i - 1}]\n")
    return "".join(out)


def noop(count):
    out = [header(f"bench-noop-{count}"), "steps:\n"]
    for i in range(count):
        out.append(f"  - id: s{i}\n    uses: log\n    with: {{outputs: {{n: {i}}}}}\n")
    return "".join(out)


def main():
    folder = sys.argv[1]
    os.makedirs(folder, exist_ok=True)
    files = {
        "validate-5k.yaml": validate_5k(),
        "exec-chain-1k.yaml": exec_chain_1k(),
        "noop-1000.yaml": noop(1000),
        "noop-1.yaml": noop(1),
    }
    for name, text in files.items():
        with open(os.path.join(folder, name), "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
