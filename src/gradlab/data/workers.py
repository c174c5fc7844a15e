"""Loading batches in worker processes (``DataLoader(num_workers > 0)``), as PyTorch does.

Each worker is a real process with its own copy of the dataset. It is seeded as PyTorch seeds
its workers: the loader draws one ``base_seed`` per pass (from its ``generator``, else from
gradlab's default generator) and worker ``i`` runs ``random.seed(base_seed + i)``,
``gradlab.manual_seed(base_seed + i)`` and seeds NumPy's legacy global state with PyTorch's
``_generate_state(base_seed, i)`` mix, then calls ``worker_init_fn(i)``. Inside a worker,
:func:`get_worker_info` says which one it is.

The main process sends each batch's indices to the workers in turn (``prefetch_factor``
batches in flight per worker) and yields the results in order.
"""

from __future__ import annotations

import contextlib
import queue
import random
import traceback
from dataclasses import dataclass

import numpy as np

_worker_info = None

_POLL_SECONDS = 1.0
_DONE = object()


@dataclass(frozen=True)
class WorkerInfo:
    """What :func:`get_worker_info` returns inside a worker."""

    id: int
    num_workers: int
    seed: int
    dataset: object


def get_worker_info() -> WorkerInfo | None:
    """This worker's id, the number of workers, its seed and its copy of the dataset; None in
    the main process."""
    return _worker_info


def numpy_seed(base_seed: int, worker_id: int) -> list[int]:
    """The 4 x 32-bit seed PyTorch gives NumPy's legacy global state in worker ``worker_id``
    (the SeedSequence-style hash of ``torch.utils.data._utils.worker._generate_state``)."""
    mask = 0xFFFFFFFF
    shift = 16
    mult_a, mult_b = 0x931E8875, 0x58F38DED
    hash_a = 0x43B0D7E5

    def hashed(value: int) -> int:
        nonlocal hash_a
        value = (value ^ hash_a) & mask
        hash_a = (hash_a * mult_a) & mask
        value = (value * hash_a) & mask
        return (value ^ (value >> shift)) & mask

    def mix(x: int, y: int) -> int:
        result = ((0xCA01F9DD * x) & mask) - ((0x4973F715 * y) & mask)
        result &= mask
        return (result ^ (result >> shift)) & mask

    pool = [hashed(v) for v in (worker_id, base_seed & mask, base_seed >> 32, 0)]
    for src in range(4):
        for dst in range(4):
            if src != dst:
                pool[dst] = mix(pool[dst], hashed(pool[src]))
    hash_b = 0x8B51F9DD
    state = []
    for value in pool:
        value = (value ^ hash_b) & mask
        hash_b = (hash_b * mult_b) & mask
        value = (value * hash_b) & mask
        state.append((value ^ (value >> shift)) & mask)
    return state


class _Failure:
    """An exception raised in a worker, carried to the main process as text."""

    def __init__(self, worker_id: int, error: BaseException):
        self.worker_id = worker_id
        self.type = type(error)
        self.text = "".join(traceback.format_exception(error))

    def reraise(self):
        message = f"Caught {self.type.__name__} in DataLoader worker process {self.worker_id}.\n"
        message += f"Original {self.text}"
        try:
            error = self.type(message)
        except Exception:  # an exception type whose constructor takes other arguments
            error = RuntimeError(message)
        raise error


def _worker_loop(dataset, iterable, index_queue, result_queue, fetch, collate, auto_collation,
                 base_seed, worker_init_fn, worker_id, num_workers):  # fmt: skip
    """The body of one worker process: seed, init, then fetch batches until told to stop."""
    global _worker_info
    from gradlab.backend import manual_seed

    seed = base_seed + worker_id
    random.seed(seed)
    manual_seed(seed)
    np.random.seed(numpy_seed(base_seed, worker_id))  # noqa: NPY002 - PyTorch seeds it too
    _worker_info = WorkerInfo(worker_id, num_workers, seed, dataset)
    init_error = None
    try:
        if worker_init_fn is not None:
            worker_init_fn(worker_id)
    except Exception as error:
        init_error = _Failure(worker_id, error)
    stream = None
    while True:
        task = index_queue.get()
        if task is None:
            break
        if task == "reset":  # a new pass of a persistent worker over an IterableDataset
            stream = None
            continue
        send_index, indices = task
        if init_error is not None:
            result_queue.put((send_index, init_error))
            continue
        try:
            if iterable:
                if stream is None:
                    stream = iter(dataset)
                result = fetch(stream, indices)
            else:
                result = fetch(dataset, indices)
        except StopIteration:
            result = StopIteration()
        except Exception as error:
            result = _Failure(worker_id, error)
        result_queue.put((send_index, result))


class MultiProcessIter:
    """One pass over a DataLoader with ``num_workers`` processes (kept across passes when the
    loader has ``persistent_workers=True``)."""

    def __init__(self, loader, base_seed: int):
        import multiprocessing

        context = loader.multiprocessing_context
        if context is None:
            context = multiprocessing.get_context()
        elif isinstance(context, str):
            context = multiprocessing.get_context(context)
        self._loader = loader
        self._iterable = loader._iterable
        self._timeout = loader.timeout
        self._prefetch = loader.prefetch_factor * loader.num_workers
        self._result_queue = context.Queue()
        self._index_queues = []
        self._workers = []
        for worker_id in range(loader.num_workers):
            index_queue = context.Queue()
            index_queue.cancel_join_thread()
            process = context.Process(
                target=_worker_loop,
                args=(loader.dataset, self._iterable, index_queue, self._result_queue,
                      loader._fetch, loader.collate_fn, loader._auto_collation, base_seed,
                      loader.worker_init_fn, worker_id, loader.num_workers),
                daemon=True,
            )  # fmt: skip
            process.start()
            self._index_queues.append(index_queue)
            self._workers.append(process)
        self._shutdown = False
        self._start_pass()

    def _start_pass(self) -> None:
        self._tasks = iter(self._loader._index_batches())
        self._send_index = 0
        self._receive_index = 0
        self._pending: dict = {}
        self._worker_of: dict = {}
        self._active = set(range(len(self._workers)))
        self._next_worker = 0
        self._exhausted = False
        for _ in range(self._prefetch):
            self._send()

    def reset(self) -> None:
        """Start a new pass over the same (persistent) workers."""
        if self._iterable:
            for q in self._index_queues:
                q.put("reset")
        self._start_pass()

    def _send(self) -> None:
        if self._exhausted or not self._active:
            return
        indices = next(self._tasks, _DONE)
        if indices is _DONE:
            self._exhausted = True
            return
        while self._next_worker not in self._active:
            self._next_worker = (self._next_worker + 1) % len(self._workers)
        worker = self._next_worker
        self._next_worker = (worker + 1) % len(self._workers)
        self._index_queues[worker].put((self._send_index, indices))
        self._worker_of[self._send_index] = worker
        self._send_index += 1

    def __iter__(self):
        return self

    def __next__(self):
        while True:
            if self._receive_index >= self._send_index:
                if not self._loader.persistent_workers:
                    self.shutdown()
                raise StopIteration
            if self._receive_index in self._pending:
                result = self._pending.pop(self._receive_index)
            else:
                index, result = self._get()
                if index != self._receive_index:
                    self._pending[index] = result
                    continue
            worker = self._worker_of.pop(self._receive_index)
            self._receive_index += 1
            if isinstance(result, StopIteration):  # that worker's IterableDataset is done
                self._active.discard(worker)
                self._send()
                continue
            self._send()
            if isinstance(result, _Failure):
                self.shutdown()
                result.reraise()
            return result

    def _get(self):
        waited = 0.0
        poll = min(_POLL_SECONDS, self._timeout) if self._timeout else _POLL_SECONDS
        while True:
            try:
                return self._result_queue.get(timeout=poll)
            except queue.Empty:
                waited += poll
                dead = [w for w in self._workers if not w.is_alive()]
                if dead:
                    self.shutdown()
                    pids = ", ".join(str(w.pid) for w in dead)
                    raise RuntimeError(
                        f"DataLoader worker (pid(s) {pids}) exited unexpectedly"
                    ) from None
                if self._timeout and waited >= self._timeout:
                    self.shutdown()
                    raise RuntimeError(
                        f"DataLoader timed out after {self._timeout} seconds"
                    ) from None

    def shutdown(self) -> None:
        if self._shutdown:
            return
        self._shutdown = True
        for q in self._index_queues:
            with contextlib.suppress(OSError, ValueError):
                q.put(None)
        for w in self._workers:
            w.join(timeout=5)
            if w.is_alive():
                w.terminate()
        self._result_queue.cancel_join_thread()

    def __del__(self):
        self.shutdown()
