"""The lexical ranking and chunking used by search and by the model's /search command."""

from __future__ import annotations

from orchestrator.emulator.search import Chunk, rank, score_chunk, split_into_chunks


def test_score_rewards_coverage_then_density() -> None:
    query = {"alpha", "beta"}
    assert score_chunk(query, "alpha beta") == 1.0
    assert score_chunk(query, "alpha beta gamma delta") == 0.833333
    assert score_chunk(query, "alpha alpha") == 0.666667
    assert score_chunk(query, "gamma") == 0.0


def test_ties_are_broken_by_file_id_then_position() -> None:
    chunks = [
        Chunk("file-b", "b", 0, "same text", {}),
        Chunk("file-a", "a", 1, "same text", {}),
        Chunk("file-a", "a", 0, "same text", {}),
    ]
    ranked = rank("same", chunks)
    assert [(hit.chunk.file_id, hit.chunk.position) for hit in ranked] == [
        ("file-a", 0),
        ("file-a", 1),
        ("file-b", 0),
    ]


def test_chunks_pack_paragraphs_up_to_800_words() -> None:
    text = "\n\n".join(" ".join(["w"] * 300) for _ in range(4))
    chunks = split_into_chunks(text)
    assert [len(chunk.split()) for chunk in chunks] == [600, 600]
    long = split_into_chunks(" ".join(["x"] * 1700))
    assert [len(chunk.split()) for chunk in long] == [800, 800, 100]
