from __future__ import annotations

from consensus.bench import run


def test_message_count_per_block_is_the_normal_case_cost() -> None:
    figures = run(blocks=32)
    # n = 4: 3 pre-prepares + 3*3 prepares + 4*3 commits = 24 per block, plus
    # 4*3 checkpoint messages every 16 blocks = 0.75; nothing else in a clean run.
    assert figures["messages_per_block"] == 24.75
    assert figures["blocks"] == 32 and figures["replicas"] == 4


def test_real_signatures_give_the_same_protocol_traffic() -> None:
    stub = run(blocks=16)
    real = run(blocks=16, real_signatures=True)
    assert real["messages_per_block"] == stub["messages_per_block"]
    assert real["bytes_per_block"] == stub["bytes_per_block"]
