"""The OpenAPI 3.1 document of the read API, served at ``/openapi.json``.

Written by hand next to the routes (``newswire/app/api/app.py``); a test checks that every
route is documented. Items are the event contract's item (``schemas/json/item.v1.json``).
"""

from __future__ import annotations

from typing import Any

_ITEM_REF = {"$ref": "#/components/schemas/Item"}
_ERROR = {
    "description": "An error",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


# Text parameters: anything but a NUL character (a 400 names the parameter).
_TEXT = {"type": "string", "pattern": "^[^\\u0000]*$"}


def _param(name: str, description: str, **schema: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or _TEXT,
    }


def _path_id(description: str) -> dict[str, Any]:
    return {
        "name": "id",
        "in": "path",
        "required": True,
        "description": description,
        "schema": _TEXT,
    }


def openapi_document(version: str, page_max: int = 100) -> dict[str, Any]:
    """The document; ``version`` is newswire's version, ``page_max`` the largest page."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "newswire read API",
            "version": version,
            "description": "Stored news items: search, filter, page, read stories.",
        },
        "paths": {
            "/items": {
                "get": {
                    "summary": "Search or list items",
                    "description": "With `q`: full-text matches, best first. Without: newest "
                    "first. Follow `next_cursor` for the next page.",
                    "parameters": [
                        _param("q", "Words that must all appear (title, body, authors...)"),
                        _param("feed", "Only items of this feed URL"),
                        _param("language", "Language tag; `en` also matches `en-gb`"),
                        _param(
                            "since",
                            "RFC 3339 time or date: published at or after",
                            type="string",
                            format="date-time",
                        ),
                        _param(
                            "until",
                            "RFC 3339 time or date: published before",
                            type="string",
                            format="date-time",
                        ),
                        _param("story", "Only items of this story id"),
                        _param("limit", "Page size", type="integer", minimum=1, maximum=page_max),
                        _param("cursor", "`next_cursor` of the previous page"),
                    ],
                    "responses": {
                        "200": {
                            "description": "A page of items",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/ItemPage"}
                                }
                            },
                        },
                        "400": _ERROR,
                        "503": _ERROR,
                    },
                }
            },
            "/items/{id}": {
                "get": {
                    "summary": "One item by id (or a unique prefix of 8+ hex digits)",
                    "parameters": [_path_id("item_id")],
                    "responses": {
                        "200": {
                            "description": "The item",
                            "content": {"application/json": {"schema": _ITEM_REF}},
                        },
                        "404": _ERROR,
                        "409": _ERROR,
                        "503": _ERROR,
                    },
                }
            },
            "/stories/{id}": {
                "get": {
                    "summary": "Every item of a story (dedup's story_id), oldest first",
                    "parameters": [_path_id("story_id")],
                    "responses": {
                        "200": {
                            "description": "The story",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Story"}
                                }
                            },
                        },
                        "404": _ERROR,
                        "503": _ERROR,
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "summary": "This document",
                    "responses": {"200": {"description": "OpenAPI 3.1"}},
                }
            },
        },
        "components": {
            "schemas": {
                "Item": {
                    "type": "object",
                    "description": "A news item as in the event contract (item.v1.json).",
                    "required": ["item_id", "version", "feed_url", "title", "fetched"],
                    "additionalProperties": True,
                },
                "ItemPage": {
                    "type": "object",
                    "required": ["items", "next_cursor"],
                    "properties": {
                        "items": {"type": "array", "items": _ITEM_REF},
                        "next_cursor": {"type": ["string", "null"]},
                    },
                },
                "Story": {
                    "type": "object",
                    "required": ["story_id", "items"],
                    "properties": {
                        "story_id": {"type": "string"},
                        "items": {"type": "array", "items": _ITEM_REF},
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "string"}},
                },
            }
        },
    }
