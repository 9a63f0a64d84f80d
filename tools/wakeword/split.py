#!/usr/bin/python3
"""Print the files of DIR in one split (train / val / test) of the file-name
hash split used by training and the benchmark (see train.split_of).

    split.py test ../shared/data/wakeword/jarvis
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train import list_audio, split_of  # noqa: E402

if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("train", "val", "test"):
        sys.exit(__doc__)
    for p in list_audio(sys.argv[2]):
        if split_of(p) == sys.argv[1]:
            print(p)
