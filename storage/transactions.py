"""The transaction policy of Holos: which scope a piece of code runs in, and why.

Services flush but never commit: the scope that runs them owns the transaction and
ends it. A scope is one of :class:`storage.db.Database`'s:

- ``read_scope()`` (and ``read_only()`` under it): a read-only transaction. On SQLite
  (WAL) a plain ``BEGIN``, which takes no lock a writer waits for; on PostgreSQL
  ``READ ONLY``. What the reads must record is written after them (rule 3).
- ``transaction()``: a write transaction, commits when its block ends normally and
  rolls back when it raises. On SQLite ``BEGIN IMMEDIATE``: the write lock up front.
- ``single_statement()``: one read statement with no transaction around it.

The rules, each with the measurement or the failure behind it:

1. **The scope follows what the code does, not where it is called from.** A route
   that reads asks for a read scope, one that changes something for a write scope; never
   the URL or the method deciding for it. Until issue 19 the API picked its scope from
   the URL prefix, so every console page, reads only, took a write transaction (rule 2
   is what that cost).

2. **A read never takes SQLite's write lock.** SQLite has one write lock for the whole
   database; a reader holding it stops every writer, the bot's too, which then sleep
   and retry in growing steps (up to 100 ms each). Measured with
   ``python -m bench.console_reads --cases 10000 --seconds 15`` (four console readers and
   a writer in another process, as the bot is; interleaved old b6bedf8 / new, two
   rounds, load 6.5–9.5): while the console's pages took the write lock the writer
   managed 44 and 21 writes/s with a p99 of 314 and 867 ms; with the pages in read
   scopes, 310 and 362 writes/s at a p99 of 0.5 and 1.2 ms (alone: 350–420 writes/s,
   p99 0.1 ms). The pages themselves: 93 and 91 → 91 and 108 pages/s alone.

3. **What a read must record waits for the end of its reads.** The audit event of a
   sensitive case or file opened, or of a search that matched sensitive cases, a token's
   or a console session's last use, the secret an enrolment page shows: added rows and
   :func:`storage.db.write_later` writers go in one short write transaction after the
   reads, still before the answer is sent. A read scope that changes a loaded row is a
   programming error and raises. A token's or session's use is recorded at most once a
   minute (30 s for a session), so most reads write nothing at all.

4. **A write takes the write lock up front** (``BEGIN IMMEDIATE`` on SQLite). A deferred
   transaction that reads and then writes fails at once with "database is locked" when
   another writer committed in between; taken up front, writers queue instead, and the
   loser of an optimistic-concurrency race sees the new version and gets a clean
   :class:`~storage.errors.StaleVersion`.

5. **A write is committed before anyone is told it is done.** An HTTP request's
   transaction ends when its route returns, before the first byte of the answer
   (a streamed export included: its audit event is committed before the rows are sent).

6. **No transaction stays open across a wait.** A slowed-down sign-in waits between two
   short transactions (``tests/admin_api/test_sign_in_limits.py`` checks that the lock
   is free meanwhile); long reads (exports, the monthly workbook) go in batches, each in
   its own read-only transaction.

HTTP requests: the API, the console and the public pages
---------------------------------------------------------
:mod:`admin_api.web.sessions` gives a route its scope as a FastAPI dependency:
``ReadSessionDep`` or ``WriteSessionDep`` (``unit_of_work()`` where one a request will
not do: sign-in). The signed-in person is resolved in the route's own scope (the API's
principal and the console's viewer come in a read and a write flavour), so a request
is one transaction. Every ``GET`` depends on the read scope alone, and a route that
only reads under another method (the console's reply preview, a ``POST``) may read
too; ``tests/test_architecture.py`` pins it. On SQLite the process's write
transactions take turns on an in-process lock before they ask SQLite for its own
(``writers_turn``): with 8 clients a ``PATCH`` waited 347 ms at p99 for a lock that was
free after a few, 24 ms with the turns (README, Performance).

Telegram updates: the bot
--------------------------
One unit of work per update, kept short (:mod:`storage.uow`): reads in a read-only
scope, writes in a transaction that begins on first use, the draft deferred to a
transaction of its own. Inside an update there is one way to commit, a named step the
handler takes and the reader sees in its flow::

    await flow.commit_before_reply()        # or uow.commit_before_reply()
    await message.answer(...)

7. **Commit before calling Telegram.** Every Bot API call in a handler comes right after
   ``commit_before_reply()`` (``handlers.flow.show``/``say``/``strip_keyboard`` take it
   for the calls they make; a pressed button's answer, sent after its handler, gets it
   from ``bot.middlewares.CommitBeforeAnswer``). Two reasons. What the person is about
   to read must already be durable, the draft included: "Received: 2 messages" stays
   true if the process is killed the next instant (``tests/bot/test_faults_kill.py``).
   And no transaction is held across a network round trip: a Bot API call takes tens
   of milliseconds or more (50 ms in the bench's crowd runs, seconds under a 429),
   and on SQLite a transaction open across it holds the one write lock, so every other
   chat would wait for this one's Telegram answer; the crowd of docs/performance.md
   keeps to Telegram's pace (about 20 updates/s at 50–300 people) with 1.7 short write
   transactions per update. The Bot API client (``bot.requests``) no longer commits:
   it checks, and a call with writes pending raises
   :class:`storage.uow.CommitStepMissing` (the end-to-end tests find a missing step).
   ``tests/test_architecture.py`` fails when a handler commits, rolls back or empties
   the log any other way.
"""
