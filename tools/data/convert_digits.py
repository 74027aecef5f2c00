#!/usr/bin/env python3
"""Convert the UCI hand-written digits (as shipped by scikit-learn) into
wasm-optim's compact binary, once. The output is committed; nothing at
install or test time needs Python or scikit-learn.

Source: Debian's python3-sklearn, sklearn/datasets/data/digits.csv.gz, a copy
of the test set of the UCI "Optical Recognition of Handwritten Digits" data
(Alpaydin & Kaynak, 1998; CC BY 4.0): 1797 rows of 64 integer pixels in
0..16 (an 8x8 image, row-major) followed by the class 0..9.

Output: data/digits/digits.bin, 1797 * 66 bytes, three sections in the
source's row order:
  [0, 64n)    pixels, uint8 in 0..16, row-major, 64 per example
  [64n, 65n)  labels, uint8 in 0..9
  [65n, 66n)  split,  uint8: 0 = train, 1 = test
The split is fixed here, once: stratified, 20% of each class to the test set
(by a seeded shuffle of each class's row indices), so every run of every
tool sees the same train and test examples.

Usage: /usr/bin/python3 tools/data/convert_digits.py [path/to/digits.csv.gz]
"""
import csv
import gzip
import hashlib
import io
import os
import random
import sys

SRC = '/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz'
OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'data', 'digits', 'digits.bin')
N, D, CLASSES, TEST_FRACTION, SEED = 1797, 64, 10, 0.2, 20250101


def main() -> None:
    src = sys.argv[1] if len(sys.argv) > 1 else SRC
    raw = open(src, 'rb').read()
    rows = list(csv.reader(io.StringIO(gzip.decompress(raw).decode('ascii'))))
    # Check everything before writing anything.
    assert len(rows) == N, f'expected {N} rows, got {len(rows)}'
    pixels, labels = bytearray(), bytearray()
    for r, row in enumerate(rows):
        assert len(row) == D + 1, f'row {r}: expected {D + 1} columns, got {len(row)}'
        values = [int(float(v)) for v in row]
        assert all(float(v) == int(float(v)) for v in row), f'row {r}: non-integer value'
        assert all(0 <= v <= 16 for v in values[:D]), f'row {r}: pixel outside 0..16'
        assert 0 <= values[D] < CLASSES, f'row {r}: label outside 0..9'
        pixels += bytes(values[:D])
        labels.append(values[D])
    counts = [labels.count(c) for c in range(CLASSES)]
    # The UCI page lists the test set's class counts as 178, 182, 177, 183, 181, 182, 181, 179, 174, 180.
    assert counts == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180], counts

    rnd = random.Random(SEED)
    split = bytearray(N)
    for c in range(CLASSES):
        idx = [i for i in range(N) if labels[i] == c]
        rnd.shuffle(idx)
        for i in idx[: round(TEST_FRACTION * len(idx))]:
            split[i] = 1

    out = bytes(pixels + labels + split)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'wb') as f:
        f.write(out)
    print(f'source  {src}  sha256 {hashlib.sha256(raw).hexdigest()}')
    print(f'wrote   {os.path.normpath(OUT)}  {len(out)} bytes  sha256 {hashlib.sha256(out).hexdigest()}')
    print(f'classes {counts}; train {N - sum(split)}, test {sum(split)}')


if __name__ == '__main__':
    main()
