"""GraphQL documents and small steps that the review tests share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sanquan.api.ids import decode_id
from sanquan.review.visibility import BLIND_ID_PREFIX
from tests.conftest import SCHOOLS, Api, World

SET = {"key": "beijing-sanquan", "version": "2019.1"}
INDICATORS = [f"T{n:02d}" for n in range(1, 21)]
EVIDENCE_FOR_SELF = {f"T{n:02d}" for n in range(11, 18)}

USER_ERRORS = "userErrors { field code message }"

CREATE = f"""
mutation($input: CreateReviewSessionInput!) {{
  createReviewSession(input: $input) {{
    reviewSession {{ id quarter status indicatorSetKey indicatorSetVersion
                    institutions {{ code name }} }}
    {USER_ERRORS}
  }}
}}"""

APPOINT = f"""
mutation($input: AppointExpertsInput!) {{
  appointExperts(input: $input) {{ reviewSession {{ id panel {{ id name }} }} {USER_ERRORS} }}
}}"""

OPEN = f"""
mutation($id: ID!) {{
  openReviewSession(input: {{sessionId: $id}}) {{ reviewSession {{ id status }} {USER_ERRORS} }}
}}"""

SUBMIT = f"""
mutation($input: SubmitScoresInput!) {{
  submitScores(input: $input) {{
    changedCount
    scores {{ id indicator value status source institution {{ code }} }}
    {USER_ERRORS}
  }}
}}"""

CONCLUDE = f"""
mutation($id: ID!) {{
  concludeReviewSession(input: {{sessionId: $id}}) {{
    reviewSession {{ id status aggregation {{ method weights {{ self peer expert }} }} }}
    {USER_ERRORS}
  }}
}}"""

RESULTS = """
query($id: ID!) {
  reviewSession(id: $id) {
    status
    results {
      institution { code name }
      overallIndex rank
      indicators { indicator title selfValue peerMean expertMean combined peerCount expertCount }
    }
  }
}"""


def create_session(
    admin: Api, codes: list[str], min_experts: int = 5, **extra: Any
) -> dict[str, Any]:
    payload = admin(
        CREATE,
        {
            "input": {
                "quarter": "2027Q1",
                "institutionCodes": codes,
                "indicatorSet": SET,
                "minExperts": min_experts,
                **extra,
            }
        },
    )["createReviewSession"]
    return payload  # type: ignore[no-any-return]


def open_session(
    world: World,
    codes: list[str],
    experts: list[str] | None = None,
    min_experts: int = 5,
    quarter: str = "2027Q1",
) -> str:
    """A session of ``codes`` with the world's experts as panel, opened for scoring."""
    admin = world.api("admin")
    created = create_session(admin, codes, min_experts, quarter=quarter)
    assert created["userErrors"] == []
    session_id: str = created["reviewSession"]["id"]
    panel = experts if experts is not None else world.expert_ids
    appointed = admin(APPOINT, {"input": {"sessionId": session_id, "expertIds": panel}})
    assert appointed["appointExperts"]["userErrors"] == []
    assert admin(OPEN, {"id": session_id})["openReviewSession"]["userErrors"] == []
    return session_id


def scores_for(source: str, value: float | dict[str, float]) -> list[dict[str, Any]]:
    """A full submission: every indicator, with evidence where the set requires it."""
    entries = []
    for code in INDICATORS:
        entry: dict[str, Any] = {
            "indicator": code,
            "value": value[code] if isinstance(value, dict) else value,
        }
        if source == "SELF" and code in EVIDENCE_FOR_SELF:
            entry["evidence"] = f"{code} 佐证材料"
        entries.append(entry)
    return entries


def submit(
    api: Api,
    session_id: str,
    school: str,
    source: str,
    scores: list[dict[str, Any]],
    final: bool = True,
) -> dict[str, Any]:
    code = SCHOOLS.get(school, school)
    payload: dict[str, Any] = api(
        SUBMIT,
        {
            "input": {
                "sessionId": session_id,
                "institutionCode": code,
                "source": source,
                "scores": scores,
                "final": final,
            }
        },
    )["submitScores"]
    return payload


PAGE = "pageInfo { hasNextPage endCursor }"
"""What :func:`read_all` needs of each page of a connection."""


def read_all(
    api: Callable[[str, dict[str, Any]], Any], document: str, variables: dict[str, Any], *path: str
) -> list[Any]:
    """Every node of the connection at ``path``, page by page, as a client reads a list
    longer than a page: ``document`` takes ``$after`` and selects the connection's
    ``nodes`` and :data:`PAGE`."""
    nodes: list[Any] = []
    after = None
    while True:
        page = api(document, {**variables, "after": after})
        for key in path:
            page = page[key]
        nodes += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


def is_blind_id(value: object) -> bool:
    """Whether ``value`` is a blind score's global id (see ``visibility.shown_key``)."""
    found = decode_id(value) if isinstance(value, str) else None
    return found is not None and found[0] == "Score" and f"/{BLIND_ID_PREFIX}" in found[1]
