"""PyTorch helpers: read enriched batches as tensors, publish an ``nn.Embedding``'s weight.

Needs PyTorch (Debian: python3-torch).
"""

try:
    import torch
except ImportError:  # pragma: no cover - depends on the machine
    raise ImportError("tokvec.torch needs PyTorch (Debian: python3-torch)") from None

import numpy as np

__all__ = ["EnrichedDataset", "publish_embedding"]

_FIELDS = ("ids", "mask", "embeddings", "pooled", "versions", "lengths")


class EnrichedDataset(torch.utils.data.IterableDataset):
    """An ``IterableDataset`` of enriched batches as tensors: each item is a dict of ``ids`` (int32
    ``[B, L]``), ``mask`` (bool ``[B, L]``), ``embeddings`` (``[B, L, D]``, float32 or float16),
    ``pooled`` (``[B, D]``, when present), ``versions`` (int64 ``[B]``), ``lengths`` (int32 ``[B]``)
    and ``event_ids`` (a list). Items are batches already: use ``DataLoader(dataset, batch_size=None)``.

    ``reader``: an :class:`tokvec.EnrichedReader`, or a function that makes one (called in each
    iteration, so each ``DataLoader`` worker gets its own consumer in the same group, closed when the
    iteration ends). With
    ``commit=True`` the reader's offsets are committed when the next batch is asked for, i.e. once the
    previous one was used. Tensors share memory with the batch's numpy arrays (no copy).
    """

    def __init__(self, reader, max_records=256, timeout=1.0, max_idle=None, commit=False):
        super().__init__()
        self.reader = reader
        self.max_records = max_records
        self.timeout = timeout
        self.max_idle = max_idle
        self.commit = commit

    def __iter__(self):
        owned = callable(self.reader)
        reader = self.reader() if owned else self.reader
        try:
            for batch in reader.batches(self.max_records, self.timeout, self.max_idle):
                item = {"event_ids": batch.event_ids}
                for name in _FIELDS:
                    value = getattr(batch, name)
                    if value is not None:
                        item[name] = torch.from_numpy(value)
                yield item
                if self.commit:  # the next item is asked for: this one was used
                    reader.commit()
        finally:
            if owned:  # a reader made for this iteration leaves its group when the iteration ends
                reader.close()


class _TensorRows:
    """Row slices of a tensor as numpy arrays, for tensors numpy cannot view (on a GPU): a chunk at a time."""

    def __init__(self, t):
        self._t = t
        self.shape = tuple(t.shape)

    def __getitem__(self, index):
        return self._t[index].cpu().numpy()


def _host(weight):
    """The weight as a numpy array: a view of a CPU tensor, a copy of a GPU one."""
    return weight.numpy() if weight.device.type == "cpu" else weight.cpu().numpy()


def publish_embedding(publisher, module, version, base=None, vocab=None, metadata=None, progress=None, since=None,
                      ids=None, tokens=None, snapshot=False):
    """Publishes the weight of ``module`` (an ``nn.Embedding``, or any module or tensor with a
    ``[rows, dim]`` float32 or float16 weight) as table version ``version`` through ``publisher``
    (a :class:`tokvec.Publisher`). Publish between optimizer steps: the weight must not change while
    it is read.

    Without ``base``: the whole table (``vocab``: one token per row, or None). A CPU weight is read in
    place, chunk by chunk (no copy of the table); a GPU weight is copied to the host one chunk at a
    time. Returns the :class:`tokvec.PublishResult`.

    With ``base`` (a committed version): a delta version over it (:meth:`tokvec.Publisher.publish_delta`)
    of the rows that changed since ``base``, found by comparing the weight bit for bit with ``since``
    (the weight as ``base`` published it: an array or tensor ``[base_rows, dim]``; rows the module
    has beyond it are appended), or exactly the rows ``ids`` when given. Without either, the snapshot
    this function kept when it published ``base`` with ``snapshot=True`` (one per publisher, the
    latest). ``tokens``: the appended rows' new tokens, in id order, when the table has a vocabulary.
    Returns the :class:`tokvec.DeltaResult`.

    ``snapshot=True`` keeps a copy of the published weight on ``publisher`` (the table's size in host
    memory), so that the next delta can name this version as its ``base`` without ``since``.
    """
    weight = module if isinstance(module, torch.Tensor) else getattr(module, "weight", None)
    if not isinstance(weight, torch.Tensor):
        raise TypeError(f"expected an nn.Embedding, a module with a weight, or a tensor; got {type(module).__name__}")
    weight = weight.detach()
    if weight.dtype not in (torch.float32, torch.float16):
        raise ValueError(f"the weight is {weight.dtype}; tokvec tables are float32 or float16 (convert explicitly)")
    meta = {"framework": "torch", "module": type(module).__name__}
    meta.update(metadata or {})
    if base is None:
        if ids is not None or since is not None or tokens is not None:
            raise ValueError("ids, since and tokens make a delta: give base (the version they apply to) too")
        rows = weight if weight.device.type == "cpu" else _TensorRows(weight)
        result = publisher.publish(version, rows, vocab=vocab, metadata=meta, progress=progress)
    else:
        if vocab is not None:
            raise ValueError("a delta takes the base's vocabulary; give the appended rows' new tokens as tokens=")
        if ids is not None and since is not None:
            raise ValueError("give either ids (the rows to publish) or since (the weight as of the base), not both")
        current = _host(weight)
        if ids is not None:
            ids = ids.cpu().numpy() if isinstance(ids, torch.Tensor) else np.asarray(ids)
            rows = current[ids]
        else:
            if since is None:
                kept = getattr(publisher, "_torch_snapshot", None)
                if kept is None or kept[0] != base:
                    raise ValueError(f"a delta over v{base} needs since= (the weight as v{base} published it) or "
                                     f"ids= (the rows to publish); no snapshot of v{base} was kept "
                                     f"(publish it with snapshot=True)")
                since = kept[1]
            elif isinstance(since, torch.Tensor):
                since = _host(since.detach())
            from . import diff_from
            ids, rows = diff_from(since, current)
        result = publisher.publish_delta(version, base, ids, rows, tokens=tokens, metadata=meta, progress=progress)
    if snapshot:
        publisher._torch_snapshot = (version, _host(weight).copy())
    return result
