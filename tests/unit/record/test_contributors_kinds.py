"""Contributors beyond "given and family name": mononymous people, group authors, equal
contribution, affiliations with ROR ids and countries; 1.0 contributors load unchanged."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from support.paths import DATA

import repro
from repro.record import Affiliation, Contributor, Contributors


def test_a_mononymous_person_has_one_name() -> None:
    assert Contributor(family_name="Plato").full_name == "Plato"
    assert Contributor(given_names="Sukarno").full_name == "Sukarno"
    with pytest.raises(ValidationError, match="family_name and/or given_names"):
        Contributor(roles=["software"])


def test_a_group_author_has_a_name_and_no_person_fields() -> None:
    group = Contributor(group="Open Science Collaboration", roles=["investigation"])
    assert group.is_group and group.full_name == "Open Science Collaboration"
    with pytest.raises(ValidationError, match="group author"):
        Contributor(group="X", family_name="Y")
    with pytest.raises(ValidationError, match="identifies a person"):
        Contributor(group="X", orcid="0000-0002-1825-0097")


def test_affiliations_take_names_or_ror_and_country() -> None:
    person = Contributor(
        family_name="Carberry",
        affiliations=["Brown University", {"name": "Brown", "ror": "05gq02987", "country": "us"}],
    )
    first, second = person.institutions
    assert first == Affiliation(name="Brown University")
    assert second.ror == "https://ror.org/05gq02987" and second.country == "US"
    assert Affiliation(name="x", ror="https://ror.org/05GQ02987").ror.endswith("05gq02987")
    with pytest.raises(ValidationError, match="not a ROR id"):
        Affiliation(name="x", ror="12345")


def test_equal_contribution_and_year_in_a_contributors_file() -> None:
    people = Contributors.model_validate(
        {
            "title": "T",
            "year": 2026,
            "contributors": [
                {"family_name": "A", "equal_contribution": True},
                {"family_name": "B", "equal_contribution": True},
            ],
        }
    )
    assert [c.equal_contribution for c in people.contributors] == [True, True]
    text = repro.render(
        people.model_copy(
            update={
                "contributors": [
                    c.model_copy(update={"roles": [repro.record.RoleAssignment(role="software")]})
                    for c in people.contributors
                ]
            }
        ),
        "credit-text",
    )
    assert text.rstrip().endswith("A and B contributed equally.")


def test_a_1_0_record_keeps_its_contributors() -> None:
    record = repro.load_record(DATA / "records-1.0" / "lstm-adding.yaml")
    assert record.contributors and all(c.family_name for c in record.contributors)
    assert record.year is not None
