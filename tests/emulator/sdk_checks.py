"""Strict checks of response bodies against the openai SDK's pydantic types."""

from __future__ import annotations

from typing import Any, TypeVar

import openai
import pydantic

M = TypeVar("M", bound=pydantic.BaseModel)


def assert_no_extras(model: pydantic.BaseModel, where: str = "") -> None:
    """Fail when any nested SDK model received a field its type does not declare."""
    extra = model.model_extra or {}
    assert not extra, f"undeclared fields at {where or type(model).__name__}: {sorted(extra)}"
    for name in type(model).model_fields:
        value = getattr(model, name)
        for item in (
            value if isinstance(value, list) else value.values() if isinstance(value, dict) else [value]
        ):
            if isinstance(item, pydantic.BaseModel):
                assert_no_extras(item, f"{where}.{name}")


def strict(model_type: type[M], data: Any) -> M:
    """Validate a JSON body strictly against an SDK type and check nothing undeclared came along."""
    if isinstance(data, pydantic.BaseModel):
        data = data.model_dump(mode="json", by_alias=True, exclude_unset=True)
    model = model_type.model_validate(data, strict=True)
    assert_no_extras(model)
    return model


def upload(client: openai.OpenAI, name: str = "notes.txt", data: bytes = b"hello world") -> Any:
    return client.files.create(file=(name, data), purpose="assistants")
