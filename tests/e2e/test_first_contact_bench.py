"""The first-contact benchmark's core with a few followers (bench/first_contact.py): every
new follower's Follow over TLS gets exactly one Accept whose signature verifies. Not a
timing test: the figures are only printed by the benchmark."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[2] / "bench"))
import first_contact


async def test_each_new_follower_gets_one_verified_accept_over_tls() -> None:
    args = argparse.Namespace(
        followers=12, instances=3, concurrency=5, sample=1, database_url="", time_limit=90.0
    )
    figures = await first_contact.run(args)
    assert figures["posts"] == 12 and figures["post_errors"] == 0
    assert figures["follows_accepted"] == 12
    assert figures["accepts"] == 12 and figures["duplicates"] == 0
    assert figures["verified"] == 12 and figures["failures"] == []
    assert figures["floor_accepts"] == 12
