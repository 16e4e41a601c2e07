"""Who the caller is, from the claims API Gateway's JWT authorizer writes into the event."""

import pytest

from atelier.api.auth import STAFF_GROUP, groups_in

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "claim, expected",
    [
        # API Gateway HTTP API writes an array claim as one string: "[a b]", space separated.
        ("[staff]", {"staff"}),
        ("[staff admin]", {"staff", "admin"}),
        ("[]", set()),
        # Cognito group names may hold commas and brackets (never white space): each is one
        # name, exactly as written.
        ("[x,staff]", {"x,staff"}),
        ("[staff,x]", {"staff,x"}),
        ("[a,b,staff,c]", {"a,b,staff,c"}),
        ("[[staff]]", {"[staff]"}),
        ("[[staff]", {"[staff"}),
        ("[staff]]", {"staff]"}),
        ("[x [staff] y]", {"x", "[staff]", "y"}),
        ("[Staff]", {"Staff"}),
        # A claim that is a plain string (not an array) is one group name.
        ("staff", {"staff"}),
        ("x,staff", {"x,staff"}),
        ("", set()),
        # A real JSON list (another authorizer, or a test event): its items, exactly.
        (["staff"], {"staff"}),
        (["x,staff"], {"x,staff"}),
        (["x staff"], {"x staff"}),
        (["[staff]"], {"[staff]"}),
        ([], set()),
    ],
)
def test_P6_cognito_groups_are_parsed_as_api_gateway_writes_them(claim, expected):
    assert groups_in({"cognito:groups": claim}) == expected


@pytest.mark.parametrize(
    "claim",
    ["[x,staff]", "[staff,x]", "x,staff", "[staff ]x", '["staff"]', "[staff\u00a0x]", "[staff\tx]"],
)
def test_P6_a_group_whose_name_only_contains_staff_grants_nothing(claim):
    """P6: staff views hold customers' personal data; only a group named exactly `staff` opens
    them (docs/design.md, §6)."""
    assert STAFF_GROUP not in groups_in({"cognito:groups": claim})


def test_a_token_without_the_groups_claim_has_no_groups():
    assert groups_in({}) == frozenset()
