"""Files, vector stores, vector-store files, batches, ingestion timing and search."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2
import openai
import pytest
from openai.types import FileDeleted, FileObject, VectorStore, VectorStoreDeleted
from openai.types.vector_stores import VectorStoreFile, VectorStoreFileBatch, VectorStoreFileDeleted

from orchestrator.emulator import EmulatorServer

from .sdk_checks import strict, upload


def test_upload_retrieve_content_and_delete(client: openai.OpenAI, http: httpx2.Client) -> None:
    created = upload(client, "notes.md", b"# Notes\n")
    body = http.get(f"/files/{created.id}").json()
    file = strict(FileObject, body)
    assert file.id.startswith("file-") and len(file.id) == len("file-") + 24
    assert (file.bytes, file.filename, file.purpose, file.status) == (
        8,
        "notes.md",
        "assistants",
        "processed",
    )
    assert client.files.content(created.id).read() == b"# Notes\n"
    deleted = http.delete(f"/files/{created.id}").json()
    assert strict(FileDeleted, deleted).deleted
    assert deleted == {"id": created.id, "object": "file", "deleted": True}
    assert http.get(f"/files/{created.id}").status_code == 404


def test_upload_validation(http: httpx2.Client) -> None:
    no_purpose = http.post("/files", files={"file": ("a.txt", b"x")})
    assert no_purpose.status_code == 400 and no_purpose.json()["error"]["param"] == "purpose"
    bad_purpose = http.post("/files", files={"file": ("a.txt", b"x")}, data={"purpose": "fun"})
    assert bad_purpose.json()["error"]["param"] == "purpose"
    no_file = http.post("/files", files={"purpose": (None, "assistants")})
    assert no_file.json()["error"]["param"] == "file"


def test_file_list_filters_by_purpose_and_pages(client: openai.OpenAI, http: httpx2.Client) -> None:
    ids = [upload(client, f"{i}.txt").id for i in range(3)]
    client.files.create(file=("b.jsonl", b"{}"), purpose="batch")
    listed = http.get("/files", params={"purpose": "assistants", "order": "asc"}).json()
    assert [f["id"] for f in listed["data"]] == ids
    page = http.get("/files", params={"purpose": "assistants", "limit": 2, "after": ids[2]}).json()
    assert [f["id"] for f in page["data"]] == ids[1::-1] and page["has_more"] is False
    assert http.get("/files", params={"limit": 10001}).status_code == 400
    assert http.get("/files", params={"limit": 10000}).status_code == 200


def test_vector_store_lifecycle_and_counts(client: openai.OpenAI, http: httpx2.Client) -> None:
    first, second = upload(client, "a.txt", b"aaaa"), upload(client, "b.txt", b"bb")
    created = client.vector_stores.create(name="kb", file_ids=[first.id], metadata={"k": "v"})
    assert created.status == "in_progress" and created.file_counts.in_progress == 1
    body = http.get(f"/vector_stores/{created.id}").json()
    store = strict(VectorStore, body)
    assert store.status == "completed" and store.file_counts.completed == 1 and store.usage_bytes == 4
    attached = http.post(
        f"/vector_stores/{created.id}/files",
        json={"file_id": second.id, "attributes": {"lang": "en", "n": 1}},
    ).json()
    assert strict(VectorStoreFile, attached).status == "in_progress"
    assert attached["chunking_strategy"] == {
        "type": "static",
        "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400},
    }
    assert client.vector_stores.retrieve(created.id).file_counts.total == 2
    listed = http.get(f"/vector_stores/{created.id}/files", params={"filter": "completed"}).json()
    assert {f["id"] for f in listed["data"]} == {first.id, second.id}
    for item in listed["data"]:
        strict(VectorStoreFile, item)
    detached = http.delete(f"/vector_stores/{created.id}/files/{second.id}").json()
    assert strict(VectorStoreFileDeleted, detached).deleted
    assert client.files.retrieve(second.id).id == second.id
    client.files.delete(first.id)
    after = client.vector_stores.retrieve(created.id)
    assert after.file_counts.total == 0 and after.usage_bytes == 0
    renamed = client.vector_stores.update(
        created.id, name="renamed", expires_after={"anchor": "last_active_at", "days": 2}
    )
    assert renamed.name == "renamed" and renamed.expires_at == renamed.last_active_at + 2 * 86400
    deleted = http.delete(f"/vector_stores/{created.id}").json()
    assert strict(VectorStoreDeleted, deleted).deleted


def test_vector_store_validation(client: openai.OpenAI, http: httpx2.Client) -> None:
    bad = http.post("/vector_stores", json={"expires_after": {"anchor": "last_active_at", "days": 400}})
    assert bad.json()["error"]["param"] == "expires_after.days"
    bad = http.post(
        "/vector_stores",
        json={
            "chunking_strategy": {
                "type": "static",
                "static": {"max_chunk_size_tokens": 50, "chunk_overlap_tokens": 0},
            }
        },
    )
    assert bad.json()["error"]["param"] == "chunking_strategy.static.max_chunk_size_tokens"
    store = client.vector_stores.create()
    attributes = {f"k{i}": i for i in range(17)}
    file = upload(client)
    bad = http.post(f"/vector_stores/{store.id}/files", json={"file_id": file.id, "attributes": attributes})
    assert bad.json()["error"]["param"] == "attributes"
    missing = http.post(f"/vector_stores/{store.id}/files", json={"file_id": "file-missing"})
    assert missing.status_code == 400 and missing.json()["error"]["param"] == "file_id"
    assert http.post("/vector_stores", content=b"").json()["error"]["code"] == "missing_body"


def test_ingestion_takes_ingest_ms_and_fail_ingest_fails(tmp_path: Path) -> None:
    with EmulatorServer(tmp_path / "db", ingest_ms=300) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0)
        good, bad = upload(client, "good.txt"), upload(client, "FAIL_INGEST.pdf")
        store = client.vector_stores.create(file_ids=[good.id, bad.id])
        early = client.vector_stores.retrieve(store.id)
        assert early.status == "in_progress" and early.file_counts.in_progress == 2
        assert [f.id for f in client.vector_stores.files.list(store.id, filter="in_progress")] != []
        time.sleep(0.35)
        late = client.vector_stores.retrieve(store.id)
        assert late.status == "completed"
        assert (late.file_counts.completed, late.file_counts.failed) == (1, 1)
        failed = client.vector_stores.files.retrieve(bad.id, vector_store_id=store.id)
        assert failed.status == "failed" and failed.last_error.code == "unsupported_file"


def test_attach_race_refuses_fresh_files(tmp_path: Path) -> None:
    with EmulatorServer(tmp_path / "db", attach_race_ms=200) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0)
        file = upload(client)
        store = client.vector_stores.create()
        with pytest.raises(openai.BadRequestError) as raised:
            client.vector_stores.files.create(vector_store_id=store.id, file_id=file.id)
        assert "still being processed" in raised.value.message
        time.sleep(0.25)
        assert client.vector_stores.files.create(vector_store_id=store.id, file_id=file.id).id == file.id


def test_file_counts_stay_right_under_parallel_attaches(
    emulator: EmulatorServer, client: openai.OpenAI
) -> None:
    files = [upload(client, f"{i}.txt", b"x" * (i + 1)) for i in range(40)]
    store = client.vector_stores.create()

    def attach(file_id: str) -> str:
        with httpx2.Client(base_url=emulator.base_url) as raw:
            return raw.post(f"/vector_stores/{store.id}/files", json={"file_id": file_id}).json()["id"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        attached = list(pool.map(attach, [f.id for f in files] * 2))
    assert sorted(set(attached)) == sorted(f.id for f in files)
    counts = client.vector_stores.retrieve(store.id)
    assert counts.file_counts.total == 40 and counts.file_counts.completed == 40
    assert counts.usage_bytes == sum(range(1, 41))


def test_file_batches(client: openai.OpenAI, http: httpx2.Client) -> None:
    files = [upload(client, f"{i}.txt") for i in range(3)]
    store = client.vector_stores.create()
    batch = http.post(
        f"/vector_stores/{store.id}/file_batches", json={"file_ids": [f.id for f in files]}
    ).json()
    assert strict(VectorStoreFileBatch, batch).status == "in_progress"
    done = strict(
        VectorStoreFileBatch, http.get(f"/vector_stores/{store.id}/file_batches/{batch['id']}").json()
    )
    assert done.status == "completed" and done.file_counts.completed == 3
    listed = client.vector_stores.file_batches.list_files(batch["id"], vector_store_id=store.id)
    assert {f.id for f in listed} == {f.id for f in files}
    cancel = http.post(f"/vector_stores/{store.id}/file_batches/{batch['id']}/cancel")
    assert cancel.status_code == 400
    both = http.post(f"/vector_stores/{store.id}/file_batches", json={})
    assert both.status_code == 400


def test_cancel_batch_in_progress(tmp_path: Path) -> None:
    with EmulatorServer(tmp_path / "db", ingest_ms=5000) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0)
        files = [upload(client, f"{i}.txt") for i in range(2)]
        store = client.vector_stores.create()
        batch = client.vector_stores.file_batches.create(store.id, files=[{"file_id": f.id} for f in files])
        cancelled = client.vector_stores.file_batches.cancel(batch.id, vector_store_id=store.id)
        assert cancelled.status == "cancelled" and cancelled.file_counts.cancelled == 2
        assert client.vector_stores.retrieve(store.id).status == "completed"


def test_search_ranks_by_query_term_coverage(client: openai.OpenAI, http: httpx2.Client) -> None:
    cats = upload(client, "cats.txt", b"Cats purr and cats sleep.\n\nDogs bark loudly.")
    dogs = upload(client, "dogs.txt", b"Dogs and cats can be friends, dogs run fast.")
    store = client.vector_stores.create(file_ids=[cats.id, dogs.id])
    client.vector_stores.files.update(file_id=dogs.id, vector_store_id=store.id, attributes={"kind": "dogs"})
    body = http.post(f"/vector_stores/{store.id}/search", json={"query": "dogs run"}).json()
    assert body["object"] == "vector_store.search_results.page" and body["search_query"] == ["dogs run"]
    assert [hit["file_id"] for hit in body["data"]] == [dogs.id, cats.id]
    assert body["data"][0]["score"] > body["data"][1]["score"]
    assert body["data"][0]["content"] == [
        {"type": "text", "text": "Dogs and cats can be friends, dogs run fast."}
    ]
    assert body["data"][0]["attributes"] == {"kind": "dogs"}
    results = client.vector_stores.search(store.id, query="cats", max_num_results=1)
    assert len(results.data) == 1
    filtered = http.post(
        f"/vector_stores/{store.id}/search",
        json={"query": "cats", "filters": {"type": "eq", "key": "kind", "value": "dogs"}},
    ).json()
    assert [hit["file_id"] for hit in filtered["data"]] == [dogs.id]
    assert (
        http.post(f"/vector_stores/{store.id}/search", json={"query": "x", "max_num_results": 51}).status_code
        == 400
    )
    assert http.post(f"/vector_stores/{store.id}/search", json={}).json()["error"]["param"] == "query"
