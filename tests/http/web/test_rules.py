"""The rules page (service/http/web/rules.py): the simulator's input."""

from __future__ import annotations

import pytest

from tests.http.web.helpers import admin_post, flashes, sign_in


@pytest.mark.parametrize(
    "last", ["abc", "\u00b2", "9" * 5000], ids=["letters", "superscript", "thousands-of-digits"]
)
def test_rules_simulation_over_a_count_that_is_not_a_number_is_reported(client, world, last):
    sign_in(client)
    response = admin_post(
        client, "/moderation/admin/rules", do="simulate", hold_word="casino", last=last
    )
    assert response.status_code == 200
    assert flashes(response) == [
        ("flash-error", "Simulate over a whole number of recent comments, 1 to 10,000.")
    ]
