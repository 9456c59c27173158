"""schemathesis against the live server's /openapi.json: every operation it describes
(every Web API action of every API, generated from the registry) is called with data
generated from its schema, valid and invalid, with a real token.

Checks: no 5xx, documented status codes and content types, response bodies that match the
schema, errors of a spec type (never `internal`). Not run:
- `positive_data_acceptance`: the schema describes the payload's shape, not the world, so a
  well-shaped request naming a chat that does not exist is rightly refused (`validation`).
- `negative_data_rejection`: it counts a request with an unknown query parameter (`?x=1`)
  as invalid and wants it refused; the server ignores unknown query parameters, as HTTP
  servers do. (Run with it, it found that the document called the body required and
  `author_id` a string, while the server takes an empty body as `{}` and a null
  `author_id` as none: the document was corrected.) Invalid payloads are refused with
  `validation`, which test_fuzz.py checks for every action.
No operation is skipped.

Run length: CHATPLANE_SCHEMATHESIS_EXAMPLES per operation (CI: short).
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi import checks as openapi_checks

from chatplane.app import openapi_document as document

from .clients import check_error
from .conftest import FIGURES, Lab, budget

EXAMPLES = budget("schemathesis_examples", ci=8, local=60)


# The document the server serves is generated from the action registry; it is loaded here
# at collection time so that each operation is its own test (schemathesis' `from_fixture`,
# which would load it from the live server, breaks on pytest 9: it reads `node._nodeid`).
# test_the_served_document_is_the_one_tested proves the two are the same.
schema = schemathesis.openapi.from_dict(document())


def test_the_served_document_is_the_one_tested(lab: Lab) -> None:
    served = httpx.get(lab.server.base_url + "/openapi.json", trust_env=False, timeout=30)
    assert served.status_code == 200
    assert served.json() == json.loads(json.dumps(document()))


def _spec_error(ctx: Any, response: Any, case: Any) -> bool | None:
    # (Other methods than POST -- schemathesis probes them -- get the framework's 405.)
    if response.status_code != 200 and case.method.upper() == "POST":
        try:
            body = response.json()
        except ValueError:
            raise AssertionError(
                f"{case.method} {case.path} -> {response.status_code}, not JSON: "
                f"{response.text[:200]!r}; request {case.as_curl_command()}"
            ) from None
        check_error(body, f"{case.method} {case.path}")
    return None


EXCLUDED = [openapi_checks.positive_data_acceptance, openapi_checks.negative_data_rejection]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_web_api_conforms_to_its_openapi_document(case: Any, lab: Lab) -> None:
    path = case.operation.path
    if path.startswith("/v3.0/customer/"):
        token = lab.c1
        case.query = {**(case.query or {}), "license_id": lab.license_a}
    else:
        token = lab.owner_a
    FIGURES["schemathesis calls"] += 1
    response = case.call(base_url=lab.server.base_url, headers={"Authorization": f"Bearer {token}"})
    _spec_error(None, response, case)
    if response.status_code == 501:
        # A v3.x method of a hosted service this server has not (api/v3_6/agent_other.py):
        # documented, and not a server error.
        assert response.json()["error"]["type"] == "service_unavailable", response.text
        return
    case.validate_response(response, excluded_checks=EXCLUDED)
