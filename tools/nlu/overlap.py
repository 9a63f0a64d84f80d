#!/usr/bin/python3
"""Dev-set hygiene check for the intent corpus (issue 7).

Counts the sentences of each given JSONL sentence set (field "text") that the
generator reproduces verbatim, after lower-casing, dropping punctuation and
collapsing whitespace. Run it after every change to corpus.py; the count must
not rise (session 7: 45 of llm_eval's 535, 19 of dev3's 360; session 8: 44 and 13; seed 7,
240 000 examples). Only the count and, with --show, the matching lines are
printed: read them to rewrite a template in other words, never to add them.

    python3 tools/nlu/overlap.py [--n 240000] [--seed 7] [--show] SET.jsonl...

Never run it on tests/data/sentences/test.jsonl (held out).
"""
import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpus  # noqa: E402


def key(text):
    return " ".join(re.sub(r"[^\w\s%'-]|_", " ", text.lower()).replace("'", "").split())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=240000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--show", action="store_true", help="print the reproduced sentences")
    ap.add_argument("sets", nargs="+")
    a = ap.parse_args()
    for path in a.sets:
        if os.path.basename(path) == "test.jsonl":
            sys.exit("overlap.py: %s is the held-out set; not read" % path)
    gen = {key(r["text"]) for r in corpus.make(a.n, a.seed)}
    for path in a.sets:
        with open(path) as f:
            texts = [json.loads(line)["text"] for line in f if line.strip()]
        hits = [t for t in texts if key(t) in gen]
        print("%s: %d of %d sentences generated verbatim (seed %d, %d examples)" %
              (os.path.basename(path), len(hits), len(texts), a.seed, a.n))
        if a.show:
            for t in hits:
                print("   ", t)


if __name__ == "__main__":
    main()
