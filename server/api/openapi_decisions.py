"""The decisions and check-in part of the OpenAPI document (see ``server.api.openapi``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server.api.decisions import CheckInIn, ProposalIn, VoteIn

JsonObject = dict[str, Any]
MODELS = (ProposalIn, VoteIn, CheckInIn)
SECURED: list[dict[str, list[str]]] = [{"bearer": []}]
SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
PROPOSAL_ID = {"name": "proposal_id", "in": "path", "required": True, "schema": {"type": "integer"}}
EVENT_ID = {"name": "event_id", "in": "path", "required": True, "schema": {"type": "integer"}}

PROPOSAL_SCHEMA: JsonObject = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "group": {"type": "string"},
        "title": {"type": "string"},
        "body": {"type": "string"},
        "body_html": {"type": "string"},
        "options": {"type": "array", "items": {"type": "string"}},
        "method": {"enum": ["majority", "consent", "poll"]},
        "eligibility": {"enum": ["members", "checked_in"]},
        "visibility": {"enum": ["members", "public"]},
        "secret": {"type": "boolean"},
        "quorum": {"type": "integer"},
        "opens_at": {"type": "string", "format": "date-time"},
        "closes_at": {"type": "string", "format": "date-time"},
        "open": {"type": "boolean"},
        "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
        "eligible": {"type": "integer"},
        "outcome": {"enum": ["passed", "rejected", "no_quorum", "blocked", "poll_closed", None]},
        "result": {"type": ["object", "null"]},
    },
}


def decision_paths(
    ref: Callable[[str], JsonObject],
    json_body: Callable[[JsonObject, str], JsonObject],
    errors: Callable[..., JsonObject],
) -> JsonObject:
    """Paths of the decisions and check-in API."""

    def body(name: str) -> JsonObject:
        return {"required": True, "content": {"application/json": {"schema": ref(name)}}}

    listing = {
        "type": "object",
        "properties": {"items": {"type": "array", "items": ref("Proposal")}},
    }
    checked = {
        "type": "object",
        "properties": {"event": {"type": "integer"}, "checked_in_at": {"type": "string"}},
    }
    people = {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "person": {"type": "string"},
                        "checked_in_at": {"type": "string"},
                    },
                },
            }
        },
    }
    vote_out = {
        "type": "object",
        "properties": {"option": {"type": "string"}, "changed": {"type": "boolean"}},
    }
    return {
        "/api/v1/groups/{slug}/proposals": {
            "parameters": [SLUG],
            "get": {
                "summary": "List a group's proposals (members see members-only ones)",
                "operationId": "listProposals",
                "security": SECURED,
                "responses": {"200": json_body(listing, "Proposals"), **errors(401, 404)},
            },
            "post": {
                "summary": "Open a proposal",
                "operationId": "createProposal",
                "security": SECURED,
                "requestBody": body("ProposalIn"),
                "responses": {
                    "201": json_body(ref("Proposal"), "Opened"),
                    **errors(400, 401, 403, 404, 415),
                },
            },
        },
        "/api/v1/groups/{slug}/proposals/{proposal_id}": {
            "parameters": [SLUG, PROPOSAL_ID],
            "get": {
                "summary": "Read a proposal with its count or outcome",
                "operationId": "getProposal",
                "security": SECURED,
                "responses": {
                    "200": json_body(ref("Proposal"), "The proposal"),
                    **errors(401, 404),
                },
            },
        },
        "/api/v1/groups/{slug}/proposals/{proposal_id}/vote": {
            "parameters": [SLUG, PROPOSAL_ID],
            "put": {
                "summary": "Vote, or change one's vote, while the proposal is open",
                "operationId": "voteOnProposal",
                "security": SECURED,
                "requestBody": body("VoteIn"),
                "responses": {
                    "200": json_body(vote_out, "Counted"),
                    **errors(400, 401, 403, 404, 415),
                },
            },
        },
        "/api/v1/events/{event_id}/check-in": {
            "parameters": [EVENT_ID],
            "post": {
                "summary": "Check in at a meetup with the code its QR shows",
                "operationId": "checkIn",
                "security": SECURED,
                "requestBody": body("CheckInIn"),
                "responses": {
                    "200": json_body(checked, "Already checked in"),
                    "201": json_body(checked, "Checked in"),
                    **errors(400, 401, 403, 404, 415),
                },
            },
        },
        "/api/v1/events/{event_id}/check-ins": {
            "parameters": [EVENT_ID],
            "get": {
                "summary": "Who checked in (the group's organizers only)",
                "operationId": "listCheckIns",
                "security": SECURED,
                "responses": {"200": json_body(people, "Attendance"), **errors(401, 403, 404)},
            },
        },
    }
