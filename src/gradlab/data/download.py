"""The dataset cache directory, verified downloads, safe archive extraction, and the errors.

Where files live: ``root`` argument, else the ``GRADLAB_DATA`` environment variable, else
``~/.cache/gradlab``. A download goes to a temporary file in the destination directory, is
checked against its SHA-256, and only then renamed into place, so a half-downloaded or
tampered file is never mistaken for data. Archives are read member by member (only the
members a loader names, as regular files), never extracted wholesale.
"""

from __future__ import annotations

import hashlib
import os
import tarfile
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from gradlab.atomic import atomic_open, atomic_write

DEFAULT_TIMEOUT = 10.0
_CHUNK = 1 << 20


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's files are not in the cache directory and could not be downloaded."""


class DatasetFormatError(ValueError):
    """A dataset file exists but is not in the expected format (wrong, truncated, corrupted)."""


class DownloadError(OSError):
    """Every URL of a file failed, or what came did not match the expected checksum."""


@dataclass(frozen=True)
class Remote:
    """A file published by a dataset's authors: where to get it and what it must hash to."""

    filename: str
    urls: tuple
    sha256: str
    size: int | None = None


def data_home(root=None) -> Path:
    """The cache directory: ``root``, else ``$GRADLAB_DATA``, else ``~/.cache/gradlab``."""
    if root is None:
        root = os.environ.get("GRADLAB_DATA") or Path("~/.cache/gradlab")
    return Path(root).expanduser()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _urlopen(url: str, timeout: float):
    """Open ``url`` (tests replace this function; nothing else touches the network)."""
    request = urllib.request.Request(url, headers={"User-Agent": "gradlab"})
    return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 (https URLs we list)


class _Mismatch(Exception):
    """A downloaded file whose SHA-256 is not the expected one."""


def download(remote: Remote, directory: Path, timeout: float = DEFAULT_TIMEOUT) -> Path:
    """Fetch ``remote`` into ``directory`` (trying its URLs in turn) and verify its SHA-256.

    Returns the path of the verified file; raises :class:`DownloadError` naming every URL
    tried and why it failed.
    """
    directory.mkdir(parents=True, exist_ok=True)
    dest = directory / remote.filename
    failures = []
    for url in remote.urls:
        try:
            with atomic_open(dest, "wb") as out, _urlopen(url, timeout) as response:
                digest = hashlib.sha256()
                while chunk := response.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                if digest.hexdigest() != remote.sha256:  # leaves the block: nothing is kept
                    raise _Mismatch(
                        f"{url}: SHA-256 {digest.hexdigest()} does not match the expected "
                        f"{remote.sha256}"
                    )
            return dest
        except _Mismatch as mismatch:
            failures.append(str(mismatch))
        except OSError as exc:  # URLError, timeouts and HTTP errors are all OSErrors
            failures.append(f"{url}: {exc}")
    raise DownloadError(f"could not download {remote.filename}: " + "; ".join(failures))


def extract(archive: Path, members: dict, directory: Path) -> None:
    """Copy the named ``members`` (archive path -> local file name) of a .tar.gz or .zip
    archive into ``directory``. Links, directories and unlisted members are never written."""
    directory.mkdir(parents=True, exist_ok=True)

    def write(name, data):
        atomic_write(directory / name, data)

    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                for member, name in members.items():
                    write(name, zf.read(member))
            return
        with tarfile.open(archive, "r:*") as tf:
            for member, name in members.items():
                info = tf.getmember(member)
                if not info.isfile():
                    raise DatasetFormatError(f"{archive}: member {member} is not a regular file")
                write(name, tf.extractfile(info).read())
    except (KeyError, tarfile.TarError, zipfile.BadZipFile, EOFError) as exc:
        raise DatasetFormatError(
            f"{archive}: cannot extract {sorted(members)}: {exc}; delete the archive and retry"
        ) from exc


def not_found(
    dataset: str, directory: Path, missing: list, where: str, reason: str
) -> DatasetNotFoundError:
    """The error a loader raises when files are absent: which files, which directory, where
    to get them, and why they were not downloaded."""
    return DatasetNotFoundError(
        f"{dataset}: missing {', '.join(missing)} in {directory}. Put the file(s) in that "
        f"directory (get them from {where}), or pass root=... or set GRADLAB_DATA to the "
        f"directory that holds them. Not downloaded: {reason}"
    )


def require(
    dataset: str,
    directory: Path,
    needed: list,
    remotes: list,
    where: str,
    download_missing: bool,
    members: dict | None = None,
) -> None:
    """Make sure every file in ``needed`` is in ``directory``.

    A missing file comes from ``remotes``: an archive already in ``directory`` with the
    right SHA-256 is used as it is; otherwise it is downloaded when ``download_missing``.
    ``members`` (remote filename -> {archive member: local name}) marks the remotes that are
    archives to extract from; other remotes are the needed files themselves.
    """
    members = members or {}
    missing = [name for name in needed if not (directory / name).is_file()]
    if not missing:
        return
    try:
        for remote in remotes:
            targets = members.get(remote.filename)
            provides = [remote.filename] if targets is None else list(targets.values())
            if not any(name in missing for name in provides):
                continue
            path = directory / remote.filename
            if targets is not None and path.is_file() and sha256_of(path) == remote.sha256:
                extract(path, targets, directory)
                continue
            if not download_missing:
                reason = "downloading is disabled (download=False)"
                raise not_found(dataset, directory, missing, where, reason)
            path = download(remote, directory)
            if targets is not None:
                extract(path, targets, directory)
    except DownloadError as exc:
        raise not_found(dataset, directory, missing, where, str(exc)) from exc
    still = [name for name in needed if not (directory / name).is_file()]
    if still:
        raise not_found(dataset, directory, still, where, "the archive did not contain them")
