"""tokvec for Python: both ends of the pipeline.

- :class:`Publisher` publishes embedding tables (numpy ``[rows, dim]``, float32 or float16) and
  activate records on the model topic, byte for byte as ``tokvec publish`` does, and delta versions
  (rows replaced and appended over a base version; :func:`diff_from` finds them).
- :class:`EnrichedReader` reads the enriched topic as numpy :class:`Batch` es;
  :class:`DeadLetterReader` reads the dead-letter topic.
- :class:`EventWriter` writes token events on the input topic.
- ``tokvec.torch`` (needs PyTorch): ``EnrichedDataset`` and ``publish_embedding``.

Documentation: ``src/site/markdown/python.md`` in the repository.
"""

from ._avro import DecodeError
from ._kafka import SendError
from ._registry import SchemaRegistryError
from .publisher import DeltaResult, Publisher, PublishResult, Refused, diff_from
from .readers import Batch, DeadLetter, DeadLetterReader, EnrichedReader, RecordError
from .writer import EventWriter

__version__ = "0.1.0"

__all__ = [
    "Publisher", "PublishResult", "DeltaResult", "Refused", "diff_from", "EnrichedReader", "Batch", "DeadLetterReader", "DeadLetter", "EventWriter",
    "SendError", "RecordError", "DecodeError", "SchemaRegistryError",
]
