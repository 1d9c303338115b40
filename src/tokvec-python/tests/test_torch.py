"""tokvec.torch with ``tokvec run``: an nn.Embedding published, served exactly, trained a step,
published again and served exactly, then rolled back; read through EnrichedDataset."""

import numpy as np
import pytest

import tokvec
from conftest import unique
from test_served import next_version, send

torch = pytest.importorskip("torch", reason="PyTorch is not installed (Debian: python3-torch)")
from tokvec.torch import EnrichedDataset, publish_embedding  # noqa: E402


def served(app, ids_by_event):
    """The tensors tokvec served for these events, read through EnrichedDataset and a DataLoader."""
    send(app, [(eid, ids, None) for eid, ids in ids_by_event.items()])
    reader = tokvec.EnrichedReader(app.kafka.bootstrap, app.kafka.registry, app.output, unique("torch"))
    found = {}
    try:
        loader = torch.utils.data.DataLoader(EnrichedDataset(reader, max_records=64, timeout=0.5, max_idle=90),
                                             batch_size=None)
        for item in loader:
            assert item["embeddings"].dtype == torch.float32 and item["ids"].dtype == torch.int32
            for i, eid in enumerate(item["event_ids"]):
                if eid in ids_by_event:
                    found[eid] = (item["ids"][i], item["mask"][i], item["embeddings"][i], int(item["versions"][i]))
            if found.keys() == ids_by_event.keys():
                break
    finally:
        reader.close()
    assert found.keys() == ids_by_event.keys(), f"read {len(found)} of {len(ids_by_event)} events"
    return found


def check(found, weight, version):
    for eid, (ids, mask, emb, v) in found.items():
        assert v == version, eid
        assert torch.equal(mask, ids != 0)
        assert torch.equal(emb, weight[ids.long()]), eid


def test_an_embedding_published_from_torch_is_served_exactly_before_and_after_a_training_step(apps):
    app = apps["f32"]
    torch.manual_seed(0)
    module = torch.nn.Embedding(40, 8, padding_idx=0)
    rng = np.random.default_rng(5)
    with tokvec.Publisher(app.kafka.bootstrap, app.kafka.registry, app.model, app.table) as publisher:
        first = next_version(app)
        result = publish_embedding(publisher, module, first)
        assert (result.rows, result.dim) == (40, 8)
        app.wait_active(first)
        before = module.weight.detach().clone()
        events = {unique("t"): [int(x) for x in rng.integers(0, 40, int(rng.integers(1, 9)))] for _ in range(12)}
        check(served(app, events), before, first)

        # one training step changes the rows the batch used
        optimizer = torch.optim.SGD(module.parameters(), lr=0.5)
        batch = torch.tensor([[1, 2, 3], [3, 4, 5]])
        module(batch).pow(2).sum().backward()
        optimizer.step()
        after = module.weight.detach().clone()
        assert not torch.equal(after[1:6], before[1:6]) and torch.equal(after[6:], before[6:])
        second = next_version(app)
        publish_embedding(publisher, module, second)
        app.wait_active(second)
        events = {unique("t"): [1, 2, 3, 4, 5, 6, 0, 7] for _ in range(3)}
        check(served(app, events), after, second)

        # roll back to the first version
        publisher.activate(first, "rollback from python")
        app.wait_active(first)
        check(served(app, {unique("t"): [3, 4, 5]}), before, first)


def test_publish_embedding_refuses_what_it_cannot_publish():
    # refused before anything is sent: no broker needed
    with tokvec.Publisher("127.0.0.1:9", "http://127.0.0.1:9", "model", "t") as publisher:
        with pytest.raises(ValueError, match="float64"):
            publish_embedding(publisher, torch.nn.Embedding(3, 2).double(), 10**9)
        with pytest.raises(ValueError, match="needs since= .* or ids="):
            publish_embedding(publisher, torch.nn.Embedding(3, 2), 10**9, base=1)
        with pytest.raises(ValueError, match="either ids .* or since"):
            publish_embedding(publisher, torch.nn.Embedding(3, 2), 10**9, base=1, ids=[1], since=np.zeros((3, 2)))
        with pytest.raises(ValueError, match="give base"):
            publish_embedding(publisher, torch.nn.Embedding(3, 2), 10**9, ids=[1])
        with pytest.raises(TypeError, match="nn.Embedding"):
            publish_embedding(publisher, torch.nn.ReLU(), 10**9)


def test_the_rows_an_optimizer_step_changed_are_published_as_a_delta_and_served_exactly(apps):
    app = apps["f32"]
    torch.manual_seed(1)
    module = torch.nn.Embedding(60, 8, padding_idx=0)
    optimizer = torch.optim.SGD(module.parameters(), lr=0.3)
    rng = np.random.default_rng(8)
    with tokvec.Publisher(app.kafka.bootstrap, app.kafka.registry, app.model, app.table) as publisher:
        first = next_version(app)
        publish_embedding(publisher, module, first, snapshot=True)  # keeps the weight it published
        before = module.weight.detach().clone()
        batch = torch.tensor([[7, 8, 9], [9, 20, 33]])
        module(batch).pow(2).sum().backward()
        optimizer.step()
        after = module.weight.detach().clone()
        changed = torch.nonzero((after != before).any(dim=1)).flatten().tolist()
        assert changed == [7, 8, 9, 20, 33]
        second = next_version(app)
        result = publish_embedding(publisher, module, second, base=first)  # the rows changed since the snapshot
        assert (result.base, result.delta_rows, result.appended, result.rows) == (first, 5, 0, 60)

        # another step, published from explicit ids: only some of the changed rows go (the others stay stale)
        optimizer.zero_grad()
        module(torch.tensor([[11, 12]])).pow(2).sum().backward()
        optimizer.step()
        third = next_version(app)
        publish_embedding(publisher, module, third, base=second, ids=torch.tensor([12]))
        served_weight = after.clone()
        served_weight[12] = module.weight.detach()[12]
    app.wait_active(third)
    events = {unique("td"): [int(x) for x in rng.choice([7, 8, 9, 11, 12, 20, 33, 1, 2], 6)] for _ in range(8)}
    events[unique("td")] = [7, 8, 9, 20, 33, 12]
    check(served(app, events), served_weight, third)
    assert not torch.equal(served_weight[11], module.weight.detach()[11])


def test_the_dataset_commits_each_batch_once_the_next_is_asked_for(kafka):
    from test_readers import Topic, record
    from tokvec._schemas import schema_text

    rng = np.random.default_rng(21)
    topic = Topic(kafka)
    topic.write(schema_text("EnrichedEvent"), [record(rng, f"r{i}", 4, 3) for i in range(3)])
    group = unique("ds")
    dataset = EnrichedDataset(lambda: topic.reader(group), max_records=1, timeout=0.3, max_idle=5, commit=True)
    items = iter(dataset)
    first = next(items)
    assert first["event_ids"] == ["r0"] and first["embeddings"].shape == (1, 4, 3)
    assert first["ids"].dtype == torch.int32 and first["mask"].dtype == torch.bool
    second = next(items)  # asking for it committed r0
    assert second["event_ids"] == ["r1"]
    items.close()  # stopped before r2 was used: r1 is not committed
    with topic.reader(group) as reader:
        batches = []
        for b in reader.batches(timeout=0.3, max_idle=5):
            batches.append(b)
            if sum(len(x) for x in batches) >= 2:
                break
    assert [e for b in batches for e in b.event_ids] == ["r1", "r2"]
