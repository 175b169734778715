"""``matching.false_hits_per_million``: the inexact-hit threshold chosen for a target rate of false
hits on the live lists, checked on reads it was not chosen on."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hotlist.calibration import (
    FLOOR_ODDS,
    calibrate,
    critical_odds,
    ocr_lattice,
    with_min_odds,
)
from hotlist.matcher import EntryRef, HotlistIndex, ListRef
from rtcc.bench import plategen as gen
from rtcc.config import load_settings
from rtcc.errors import ConfigError
from rtcc.plate_formats import model_of_label
from rtcc.runtime.hotlists import rebuild_index
from rtcc.runtime.metrics import api_registry, render
from rtcc.runtime.services import Services, build_services
from tests.support.hotlists import import_csv

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def index() -> HotlistIndex:
    plates = gen.unique_plates(random.Random(5), 30_000)
    stolen = ListRef(1, "stolen")
    return HotlistIndex([EntryRef(i + 1, stolen, p) for i, p in enumerate(plates)])


def false_hit_rate(index: HotlistIndex, reads: int, seed: int) -> float:
    """False hits per million reads of unlisted plates (drawn as the calibration draws them,
    from another seed)."""
    rng, model = random.Random(seed), model_of_label(None, index.rules.lattice_region)
    listed, hits = set(index._plates.plates), 0
    for _ in range(reads):
        plate = model.sample(rng)
        while plate in listed:
            plate = model.sample(rng)
        found = index.match(plate, state=None, now=NOW, alternatives=ocr_lattice(rng, plate))
        hits += any(m.match_type == "lattice" for m in found)
    return hits * 1_000_000 / reads


@pytest.mark.slow
def test_the_chosen_threshold_meets_its_target_on_other_reads(index: HotlistIndex) -> None:
    loose = calibrate(index, 4000, now=NOW, reads=10_000)
    tight = calibrate(index, 1000, now=NOW, reads=10_000)
    assert FLOOR_ODDS <= loose.min_odds < tight.min_odds  # a lower target: a higher threshold
    assert tight.expected_per_million <= 1000 and loose.expected_per_million <= 4000
    assert calibrate(index, 1000, now=NOW, reads=10_000) == tight  # seeded: same lists, same
    # On 10,000 reads it was not chosen on: within sampling error of the target (a few tens of
    # false hits), and far from the floor's rate.
    at_floor = false_hit_rate(with_min_odds(index, FLOOR_ODDS), 10_000, seed=7)
    at_tight = false_hit_rate(with_min_odds(index, tight.min_odds), 10_000, seed=7)
    assert at_tight <= 2 * 1000 < at_floor


def test_a_read_hits_exactly_up_to_its_critical_odds(index: HotlistIndex) -> None:
    rng, model = random.Random(11), model_of_label(None, "us")
    probe = with_min_odds(index, FLOOR_ODDS)
    listed, checked = set(index._plates.plates), 0
    while checked < 5:
        plate = model.sample(rng)
        lattice = ocr_lattice(rng, plate)
        if plate in listed:
            continue
        odds = critical_odds(probe, plate, lattice, NOW)
        if not FLOOR_ODDS < odds < 1e9:
            continue
        checked += 1
        for factor, hits in ((0.99, True), (1.01, False)):
            found = with_min_odds(index, odds * factor).match(
                plate, state=None, now=NOW, alternatives=lattice
            )
            assert any(m.match_type == "lattice" for m in found) is hits, (plate, odds, factor)


def test_each_index_build_chooses_the_threshold_and_reports_it(
    make_settings: Any, tmp_path: Path
) -> None:
    settings = make_settings(
        database={"url": f"sqlite:///{tmp_path / 't.db'}"},
        matching={"false_hits_per_million": 5000, "calibration_reads": 2000},
    )
    services: Services = build_services(settings)
    try:
        plates = gen.unique_plates(random.Random(3), 3000)
        import_csv(services, "stolen", "plate\n" + "\n".join(plates) + "\n")
        rebuild_index(services)
        index = services.matcher.index
        assert index.calibration is not None and index.calibration.reads == 2000
        assert index.rules.lattice_min_odds == index.calibration.min_odds >= FLOOR_ODDS
        text = render(api_registry(services, None)).decode()
        assert f"rtcc_match_min_odds {index.calibration.min_odds}" in text
        assert "rtcc_match_false_hits_per_million" in text
    finally:
        services.engine.dispose()


def test_a_target_out_of_range_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="false_hits_per_million"):
        load_settings(None, overrides={"data_dir": str(tmp_path),
                                       "matching": {"false_hits_per_million": 0}}, environ={})
