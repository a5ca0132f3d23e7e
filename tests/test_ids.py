"""What a valid id is (community/ids.py): the one check every parser of ids uses."""

import pytest

from community.ids import MAX_ID, as_id, is_id


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12", 12),
        (12, 12),
        (" 12 ", 12),
        ("0", None),
        ("-3", None),
        ("abc", None),
        ("²", None),
        ("١٢", None),
        ("2147483647", 2147483647),
        ("2147483648", None),
        ("9" * 30, None),
        (None, None),
        (["1"], None),
        (True, None),
        (1.0, None),
        (2**31, None),
    ],
)
def test_as_id(value, expected):
    assert as_id(value) == expected


def test_is_id_takes_ints_only_and_zero_only_when_asked():
    assert is_id(1)
    assert is_id(MAX_ID)
    assert not is_id(0)
    assert is_id(0, allow_zero=True)
    assert not is_id(MAX_ID + 1)
    assert not is_id(-1, allow_zero=True)
    assert not is_id("5")
    assert not is_id(False, allow_zero=True)
