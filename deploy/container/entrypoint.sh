#!/bin/sh
# The container's entrypoint: stop at once, with what to do, when the data folder cannot be
# written by the user the image runs as (a bind-mounted folder owned by someone else), instead
# of failing later with SQLite's "attempt to write a readonly database". Then run the command.
set -eu
data="${SIMFEED_INSTANCE:-/data}"
if [ -d "$data" ]; then
    unwritable=""
    [ -w "$data" ] && [ -x "$data" ] || unwritable="$data"
    if [ -z "$unwritable" ]; then
        for file in "$data"/* "$data"/.[!.]*; do
            if [ -e "$file" ] && [ ! -w "$file" ]; then unwritable="$file"; break; fi
        done
    fi
    if [ -n "$unwritable" ]; then
        echo "simfeed: $unwritable cannot be written by user $(id -u):$(id -g) (it belongs to" \
             "$(stat -c %u:%g "$unwritable")): give the data folder to that user" \
             "(chown -R $(id -u):$(id -g) FOLDER on the host) or run the container with" \
             "--user set to the folder's owner; see docs/deploy.md, Volume ownership" >&2
        exit 1
    fi
fi
exec "$@"
