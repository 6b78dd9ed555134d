"""The Ray Data engine: a studio's shoots analysed on a cluster, results streamed back to the one writer.

The driver (this process) walks the folders, fingerprints the files and keeps the catalog; the cluster
only decodes and extracts. Every node must see the photos at the same path as the driver (a shared
mount: NFS, SMB, or an object store mounted with s3fs/gcsfuse/rclone) and have the same PhotoTriage
installed; backbone weights come from each node's model cache (PHOTOTRIAGE_CACHE_DIR, which may be a
shared mount too).
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Generator, Iterable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np

from ranker.engines.base import Analysed, Job, Outcome
from ranker.engines.ray_tasks import ModelStage, decode_batch, vector_column
from ranker.features.base import FeatureExtractor
from ranker.features.pyiqa_metric import PyiqaMetricExtractor
from ranker.features.torch_backbone import TorchBackboneExtractor
from ranker.features.weights import ModelMissingError
from ranker.io.photo_metadata import PhotoMetadata

if TYPE_CHECKING:
    import ray.data

#: photos per CPU task: ~0.3 s of work on one core, long enough to hide Ray's per-task cost and short
#: enough that results reach the catalog (one commit per batch) a few times a second
CPU_BATCH = 16
#: photos per backbone call on a GPU actor: fills the device without holding many decoded images
MODEL_BATCH = 64


def uses_model(extractor: FeatureExtractor) -> bool:
    """Backbones and pyiqa metrics load a network: they run in the (GPU) actor pool, loaded once each."""
    return isinstance(extractor, (TorchBackboneExtractor, PyiqaMetricExtractor))


def metadata_from_dict(d: dict[str, Any]) -> PhotoMetadata:
    """The inverse of PhotoMetadata.as_dict (the capture time travels as ISO 8601, offset kept)."""
    when = d.get("capture_time")
    return PhotoMetadata(**{**d, "capture_time": datetime.fromisoformat(when) if when else None})


class _InitOptions(TypedDict):
    """The ray.init arguments shared by a local instance and a joined cluster."""

    runtime_env: dict[str, list[str]]
    logging_level: int
    log_to_driver: bool


class _ModelPool(TypedDict, total=False):
    """The map_batches resources of the backbone stage: a GPU or a CPU per actor, and the pool."""

    num_gpus: float
    num_cpus: float
    compute: ray.data.ActorPoolStrategy


class RayEngine:
    """Ray Data batches over a local Ray instance (no address) or an existing cluster (an address).

    `num_cpus` sizes the local instance (default: every core); `cpu_tasks` caps the decode tasks
    running at once (default: as many as the cluster has CPUs for); `cpu_batch` is photos per task.
    A Ray this engine did not start (the caller's, or a test's) is used as it is and left running."""

    def __init__(
        self,
        address: str | None = None,
        num_cpus: int | None = None,
        cpu_tasks: int | None = None,
        cpu_batch: int = CPU_BATCH,
    ):
        self.address = address
        self.num_cpus = num_cpus
        self.cpu_tasks = cpu_tasks
        self.cpu_batch = cpu_batch
        self._started = False

    def connect(self) -> None:
        import ray

        if ray.is_initialized():
            return
        import ranker

        # Workers run the driver's own ranker code (shipped by Ray), so the versions stamped on the
        # features are true; the libraries under it (numpy, Pillow, torch...) come from each node.
        options: _InitOptions = {
            "runtime_env": {"py_modules": [os.path.dirname(ranker.__file__)]},
            "logging_level": logging.WARNING,
            "log_to_driver": False,
        }
        if self.address:
            ray.init(address=self.address, **options)
        else:
            ray.init(num_cpus=self.num_cpus or os.cpu_count() or 1, include_dashboard=False, **options)
        self._started = True

    def analyse(
        self,
        jobs: Iterable[Job],
        extractors: Sequence[FeatureExtractor],
        decode_size: int,
    ) -> Generator[list[tuple[Job, Outcome]], None, None]:
        todo = list(jobs)  # the driver's scan (walk, stat, fingerprint) finishes before the job starts
        if not todo:
            return
        import ray

        self.connect()
        _configure(ray.data.DataContext.get_current())
        wanted = {name for job in todo for name in job.missing}
        cpu = [e for e in extractors if not uses_model(e) and e.name in wanted]
        models = [e for e in extractors if uses_model(e) and e.name in wanted]
        rows = [
            {"index": i, "path": os.fsencode(job.decode_path), "missing": ",".join(job.missing)}
            for i, job in enumerate(todo)
        ]
        blocks = math.ceil(len(rows) / self.cpu_batch)
        dataset: ray.data.Dataset = ray.data.from_items(rows, override_num_blocks=blocks)
        # A bounded task pool (every CPU unless capped; Ray Data spreads the tasks over the nodes). Its
        # size differing from the actor pool's also keeps Ray from fusing decoding into the backbone
        # actors, which would leave one decoder per actor instead of one per CPU.
        tasks = min(blocks, self.cpu_tasks or max(1, int(ray.cluster_resources().get("CPU", 1))))
        dataset = dataset.map_batches(
            # Ray's UDF type is a one-argument callable: it has no room for the fn_kwargs it passes
            decode_batch,  # type: ignore[arg-type]
            batch_size=self.cpu_batch,
            batch_format="numpy",
            num_cpus=1,
            compute=ray.data.TaskPoolStrategy(size=tasks),
            fn_kwargs={"extractors": cpu, "decode_size": decode_size, "model_names": [e.name for e in models]},
        )
        if models:
            dataset = dataset.map_batches(
                ModelStage,
                batch_size=MODEL_BATCH,
                batch_format="numpy",
                fn_constructor_kwargs={"extractors": models},
                **_model_pool(),
            )
        names = [e.name for e in cpu + models]
        try:
            for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
                yield [(todo[int(i)], outcome) for i, outcome in _outcomes(batch, names)]
        except Exception as exc:
            missing = _model_missing(exc)
            if missing is None:
                raise
            raise missing from None  # "weights not found on a node: run ...", not Ray's wrapping

    def close(self) -> None:
        """Shut down the Ray this engine started (a joined cluster keeps running; this job's work ends)."""
        if self._started:
            import ray

            ray.shutdown()
            self._started = False

    def __enter__(self) -> RayEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _model_missing(exc: BaseException | None) -> ModelMissingError | None:
    """The ModelMissingError a worker raised, however many Ray errors wrap it."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        cause = getattr(exc, "cause", None)  # a RayTaskError keeps the worker's own exception here
        if isinstance(cause, BaseException):
            exc = cause
            continue
        if isinstance(exc, ModelMissingError):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def _configure(context: ray.data.DataContext) -> None:
    # Results in job order, as the local engine writes them: commits and progress follow the folder.
    # (Photo ids come from the listing, so grouping does not depend on it.) The cost is head-of-line
    # waiting on a slow batch; the stream itself keeps every CPU busy.
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False  # the pipeline reports progress itself
    context.raise_original_map_exception = True  # a worker's ModelMissingError, not a UserCodeException
    context.print_on_execution_start = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)  # not a dozen INFO lines per job
    logging.getLogger("ray.data._internal.progress").setLevel(logging.ERROR)  # "bars disabled": we know


def _model_pool() -> _ModelPool:
    """One actor per GPU in the cluster, each pinned to its GPU; without GPUs one CPU actor."""
    import ray

    gpus = int(ray.cluster_resources().get("GPU", 0))
    if gpus:
        return {"num_gpus": 1, "compute": ray.data.ActorPoolStrategy(min_size=1, max_size=gpus)}
    return {"num_cpus": 1, "compute": ray.data.ActorPoolStrategy(size=1)}


def _outcomes(batch: dict[str, np.ndarray], names: Sequence[str]) -> Iterator[tuple[int, Outcome]]:
    for row, index in enumerate(batch["index"]):
        error = batch["error"][row]
        if error:
            yield index, str(error)
            continue
        missing = str(batch["missing"][row]).split(",")
        vectors = {
            name: np.asarray(batch[vector_column(name)][row], dtype=np.float32) for name in names if name in missing
        }
        yield (
            index,
            Analysed(metadata_from_dict(json.loads(batch["meta"][row])), json.loads(batch["signals"][row]), vectors),
        )
