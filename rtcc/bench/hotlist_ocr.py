"""OCR-like reads for ``rtcc bench hotlist``: per-character top-3 lattices shaped like the real
OCR's, and the per-character confidences that go with them.

The shape comes from the OCR ensemble's outputs on the development images
(``../shared/data/plates-dev``: 99 scenes and 147 crops, 1,573 correctly read characters and 16
misread ones; never the held-out set), summarised as round figures:

- a correctly read character is nearly certain: median top probability 0.9999, 95% of them
  above 0.985, about 5.5% below 0.99 (those spread down to about 0.6);
- of misread characters, a little over half (9 of 16) are doubtful: the top character at
  0.3-0.75 and the true one second with most of the rest (0.06-0.49); the others are confident
  misreads (top at 0.98-1.0) where the true character has at most a few per cent.

The bench used to give every character a confidence between 0.8 and 1.0 with 30% of the rest
on the alternatives, which is far flatter than the OCR: a read then spreads half its mass off
its top string, and the lattice matcher's threshold rises with that mass.
"""

from __future__ import annotations

import random

from hotlist.calibration import carried, position, sure_probability
from rtcc.bench import plategen as gen
from rtcc.plates import CharAlternatives

DOUBTFUL_MISREAD_SHARE = 0.55  # misreads whose true character is a real second candidate


def ocr_read(
    rng: random.Random, text: str, truth: str | None
) -> tuple[list[float], CharAlternatives]:
    """Per-character confidences and a top-3 lattice for a read ``text`` of plate ``truth``.
    Where the read differs from a same-length ``truth`` the true character is the second
    candidate: with a real share of the mass (doubtful misread) or a few per cent at most
    (confident misread). Elsewhere the second candidate is a look-alike half the time. As on a
    tracked read, alternatives under 1% are dropped and probabilities rounded to 4 places."""
    lattice = []
    for i, ch in enumerate(text):
        want = truth[i] if truth and len(truth) == len(text) and truth[i] != ch else None
        if want is not None:
            if rng.random() < DOUBTFUL_MISREAD_SHARE:
                top, share = rng.uniform(0.3, 0.75), rng.uniform(0.5, 0.9)
            else:
                top, share = 1.0 - 10 ** rng.uniform(-4.0, -1.5), rng.uniform(0.3, 1.0)
            lattice.append(position(rng, ch, top, want, share, gen.ALNUM))
            continue
        look = gen.CONFUSE.get(ch)
        second = look if look and rng.random() < 0.5 else None
        second = second or rng.choice([c for c in gen.ALNUM if c != ch])
        lattice.append(
            position(rng, ch, sure_probability(rng), second, rng.uniform(0.6, 0.95), gen.ALNUM)
        )
    kept = carried(lattice)
    return [pos[0][1] for pos in kept], kept
