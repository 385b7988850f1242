"""What an attacker does with a copy of the data: read the files below the database.

``sqlite_files`` walks an SQLite database and its write-ahead log page by page and
commit by commit; ``server_dumps`` reads PostgreSQL's table files and WAL and dumps
Redis. Neither uses the product's code: they see what any copy of the files shows.
"""
