"""Keeps the workspace index in step with the editor: open buffers win over disk, edits are incremental."""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types

from mellum_lsp.documents import DocumentChange, byte_offset, point, uri_to_path
from mellum_lsp.session import Session


class IndexSyncFeature:
    """Forwards document and file events to the index once it is built (the build reads open buffers too)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def document_opened(self, uri: str, text: str) -> None:
        if (index := self.session.index) is not None:
            index.update_document(uri_to_path(uri), text)

    def document_changed(self, change: DocumentChange) -> None:
        if (index := self.session.index) is None:
            return
        old, new, region = change.old_text, change.new_text, change.region
        index.apply_edit(
            change.path,
            byte_offset(old, region.start),
            byte_offset(old, region.old_end),
            byte_offset(new, region.new_end),
            point(old, region.start),
            point(old, region.old_end),
            point(new, region.new_end),
            change.inserted,
        )

    def document_closed(self, uri: str) -> None:
        if (index := self.session.index) is not None:
            index.close_document(uri_to_path(uri))

    def document_saved(self, uri: str) -> None:
        if (index := self.session.index) is not None:
            index.file_changed(uri_to_path(uri))

    def files_changed(self, changes: Sequence[types.FileEvent]) -> None:
        if (index := self.session.index) is None:
            return
        for event in changes:
            path = uri_to_path(event.uri)
            if event.type == types.FileChangeType.Deleted:
                index.file_deleted(path)
            else:
                index.file_changed(path)
