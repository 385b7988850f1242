"""``holos files rebuild``: documents stored before issue 18 made anew, as new ones are.

Those files were cleaned (metadata stripped) but not rebuilt: a PDF could still carry
its actions and embedded files, a DOCX its external links. Until rebuilt they are served
as ``.bin`` (:func:`storage.services.attachments.served_name`). This goes through them
one at a time: the stored copy is decrypted, made anew in a capped worker (flattened,
rebuilt), encrypted under a new blob key, and the row points to it, with its text kept
by the case's rule; then the old blob is deleted. A file the worker refuses (a program
stored as text, an archive bomb) stays as it was, served as ``.bin``.

The work on each file happens outside any transaction (a rebuild can take seconds and
must not hold the database); each file's row is then updated in a short one, unless
retention removed the file meanwhile. Safe to run again, and while the bot runs.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass, field

from storage.access import Actor
from storage.core import Core
from storage.enums import AuditAction
from storage.media import MediaRefused
from storage.repositories.cases import CaseRepository
from storage.repositories.search import SearchRepository
from storage.sealed import Context, Sealer
from storage.search import blind_tokens
from storage.services.attachments import media_workers
from storage.services.audit import AuditLog

log = logging.getLogger("holos.files")
BATCH = 50


@dataclass
class RebuildReport:
    rebuilt: int = 0
    refused: Counter[str] = field(default_factory=Counter)  # reason -> files left as .bin
    gone: int = 0  # removed by retention while being rebuilt

    def lines(self) -> list[str]:
        lines = [f"documents rebuilt: {self.rebuilt}"]
        lines += [
            f"left as .bin ({reason}): {count}" for reason, count in sorted(self.refused.items())
        ]
        return lines


async def rebuild_stored_documents(core: Core) -> RebuildReport:
    report = RebuildReport()
    workers = media_workers(core.settings)
    sealer = Sealer(core.crypto)
    after_id = 0
    while True:
        async with core.database.transaction() as session:
            batch = await CaseRepository(session).documents_not_rebuilt(
                after_id=after_id, limit=BATCH
            )
        if not batch:
            return report
        for attachment_id, blob_key, mime_type, _sensitive in batch:
            after_id = attachment_id
            data = core.crypto.decrypt(await core.blobs.get(blob_key), Context.BLOB)
            try:
                cleaned = await asyncio.to_thread(workers.clean, data, mime_type)
            except MediaRefused as refused:
                # Seen once per run; stays .bin. The next run tries it again.
                report.refused[refused.reason.value] += 1
                continue
            new_key = core.blobs.new_key()
            await core.blobs.put(new_key, core.crypto.encrypt(cleaned.data, Context.BLOB))
            async with core.database.transaction() as session:
                repo = CaseRepository(session)
                row = await repo.attachment_by_id(attachment_id)
                case = await repo.get(row.case_id) if row is not None else None
                if row is None or case is None or row.blob_key != blob_key:
                    stale = True
                else:
                    stale = False
                    before = {"type": row.mime_type, "size_bytes": row.size_bytes}
                    row.text, row.text_enc = sealer.split(
                        cleaned.text, Context.ATTACHMENT_TEXT, sensitive=case.sensitive
                    )
                    row.blob_key, row.mime_type = new_key, cleaned.mime_type
                    row.size_bytes, row.rebuilt = len(cleaned.data), True
                    row.metadata_stripped = cleaned.metadata_stripped
                    if case.sensitive and cleaned.text:
                        await SearchRepository(session).add_search_tokens(
                            case.id, blind_tokens(core.crypto, cleaned.text)
                        )
                    AuditLog(session, core.clock).record(
                        Actor.system(),
                        AuditAction.ATTACHMENT_REBUILT,
                        case=case,
                        target=f"attachment:{row.public_id}",
                        before=before,
                        after={"type": cleaned.mime_type, "size_bytes": len(cleaned.data)},
                    )
            if stale:
                await core.blobs.delete(new_key)
                report.gone += 1
                continue
            await core.blobs.delete(blob_key)
            log.info("attachment_rebuilt")
            report.rebuilt += 1
