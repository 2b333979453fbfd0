#!/usr/bin/env bash
# Exercises infra/scripts/publish-site.sh end to end against a local AWS emulator (moto, from
# PyPI, in tests/.venv-infra) with the real AWS CLI: builds a small site folder, publishes it,
# and checks what landed in the bucket (content types, cache headers, upload of every file,
# deletion of pages that left the build, keeping then pruning old fingerprinted assets), that
# an invalidation was made, and that a site built for another origin (a `galeri serve` preview)
# is refused before anything is uploaded. Prints "N passed, M failed"; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

venv=tests/.venv-infra
if [ ! -x "$venv/bin/moto_server" ] || [ ! -x "$venv/bin/aws" ]; then
  python3 -m venv "$venv"
  echo '*' >"$venv/.gitignore"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    'moto[server,cloudformation]==5.2.5' 'awscli==1.46.3'
fi
export PATH="$root/$venv/bin:$PATH"

work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  if python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then
    break
  fi
  sleep 0.1
done

export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1
export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
unset AWS_PROFILE AWS_SESSION_TOKEN

# A stack with the outputs the script reads.
distribution=$(aws cloudfront create-distribution --distribution-config '{
  "CallerReference": "publish-test", "Comment": "", "Enabled": true,
  "Origins": {"Quantity": 1, "Items": [{"Id": "site", "DomainName": "site.s3.amazonaws.com",
    "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
  "DefaultCacheBehavior": {"TargetOriginId": "site", "ViewerProtocolPolicy": "redirect-to-https",
    "MinTTL": 0, "ForwardedValues": {"QueryString": false, "Cookies": {"Forward": "none"}},
    "TrustedSigners": {"Enabled": false, "Quantity": 0}}
}' --query Distribution.Id --output text)
cat >"$work/stack.yaml" <<YAML
Resources:
  SiteBucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: galeri-test-site
Outputs:
  SiteBucketName:
    Value: !Ref SiteBucket
  SiteDistributionId:
    Value: $distribution
  SiteUrl:
    Value: https://galeri.example.go.id
YAML
aws cloudformation create-stack --stack-name galeri-test --template-body "file://$work/stack.yaml" >/dev/null
bucket=galeri-test-site

site=$work/public
mkdir -p "$site/produk/kopi" "$site/produk/teh" "$site/assets" "$site/img"
echo '<!doctype html><title>Galeri</title>' >"$site/index.html"
echo '<!doctype html><title>404</title>' >"$site/404.html"
echo '<!doctype html><title>Kopi</title>' >"$site/produk/kopi/index.html"
echo '<!doctype html><title>Teh</title>' >"$site/produk/teh/index.html"
echo '{"items":[]}' >"$site/catalog.json"
echo 'body{}' >"$site/assets/style.3f9a2c1b.css"
echo 'console.log(1)' >"$site/assets/search.js"
printf 'RIFF0000WEBP' >"$site/img/kopi-480.a1b2c3d4.webp"
echo 'User-agent: *' >"$site/robots.txt"
echo '<feed/>' >"$site/feed.atom"
cat >"$site/sitemap.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>https://galeri.example.go.id/</loc></url>
  <url><loc>https://galeri.example.go.id/produk/kopi/</loc></url>
</urlset>
XML
cat >"$site/atom.xml" <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="id">
  <link href="https://galeri.example.go.id/atom.xml" rel="self" type="application/atom+xml"/>
  <id>https://galeri.example.go.id/</id>
</feed>
XML
printf '\x00\x01' >"$site/extra.bin"

passed=0
failed=0
check() { # description expected actual
  if [ "$2" = "$3" ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $1: expected [$2], got [$3]"
  fi
}
head_field() { # key field
  aws s3api head-object --bucket "$bucket" --key "$1" --query "$2" --output text 2>/dev/null || echo missing
}
exists() {
  if aws s3api head-object --bucket "$bucket" --key "$1" >/dev/null 2>&1; then echo yes; else echo no; fi
}

infra/scripts/publish-site.sh --stack galeri-test --site "$site" >"$work/publish1.log" 2>&1 ||
  { cat "$work/publish1.log"; exit 1; }

immutable='public, max-age=31536000, immutable'
short='public, max-age=300'
check "index.html type" "text/html; charset=utf-8" "$(head_field index.html ContentType)"
check "index.html cache" "$short" "$(head_field index.html CacheControl)"
check "nested page type" "text/html; charset=utf-8" "$(head_field produk/kopi/index.html ContentType)"
check "catalog.json type" "application/json; charset=utf-8" "$(head_field catalog.json ContentType)"
check "catalog.json cache" "$short" "$(head_field catalog.json CacheControl)"
check "fingerprinted css type" "text/css; charset=utf-8" "$(head_field assets/style.3f9a2c1b.css ContentType)"
check "fingerprinted css cache" "$immutable" "$(head_field assets/style.3f9a2c1b.css CacheControl)"
check "fingerprinted webp type" "image/webp" "$(head_field img/kopi-480.a1b2c3d4.webp ContentType)"
check "fingerprinted webp cache" "$immutable" "$(head_field img/kopi-480.a1b2c3d4.webp CacheControl)"
check "plain js cache" "$short" "$(head_field assets/search.js CacheControl)"
check "plain js type" "text/javascript; charset=utf-8" "$(head_field assets/search.js ContentType)"
check "robots type" "text/plain; charset=utf-8" "$(head_field robots.txt ContentType)"
check "atom type" "application/atom+xml; charset=utf-8" "$(head_field feed.atom ContentType)"
check "unknown type uploaded with short cache" "$short" "$(head_field extra.bin CacheControl)"
objects=$(aws s3api list-objects-v2 --bucket "$bucket" --query 'length(Contents)' --output text)
check "every file uploaded" "$(find "$site" -type f | wc -l | tr -d ' ')" "$objects"
invalidations=$(aws cloudfront list-invalidations --distribution-id "$distribution" \
  --query 'length(InvalidationList.Items)' --output text)
check "one invalidation" "1" "$invalidations"

# Second build: a page is gone, the stylesheet has a new fingerprint.
rm -r "$site/produk/teh" "$site/assets/style.3f9a2c1b.css"
echo 'body{color:red}' >"$site/assets/style.0badc0de.css"
infra/scripts/publish-site.sh --stack galeri-test --site "$site" --no-invalidate >"$work/publish2.log" 2>&1 ||
  { cat "$work/publish2.log"; exit 1; }
check "removed page deleted" "no" "$(exists produk/teh/index.html)"
check "new stylesheet uploaded immutable" "$immutable" "$(head_field assets/style.0badc0de.css CacheControl)"
check "old stylesheet kept for cached pages" "yes" "$(exists assets/style.3f9a2c1b.css)"
check "--no-invalidate made none" "1" "$(aws cloudfront list-invalidations --distribution-id "$distribution" \
  --query 'length(InvalidationList.Items)' --output text)"

infra/scripts/publish-site.sh --stack galeri-test --site "$site" --no-invalidate --prune-assets \
  >"$work/publish3.log" 2>&1 || { cat "$work/publish3.log"; exit 1; }
check "--prune-assets deletes old stylesheet" "no" "$(exists assets/style.3f9a2c1b.css)"
check "--prune-assets keeps current files" "yes" "$(exists assets/style.0badc0de.css)"

# A folder that is not a built site is refused before anything is uploaded.
mkdir "$work/empty"
if infra/scripts/publish-site.sh --stack galeri-test --site "$work/empty" >/dev/null 2>&1; then
  check "unbuilt folder refused" "refused" "published"
else
  check "unbuilt folder refused" "refused" "refused"
fi

# A preview (`galeri serve` builds for its own address) is refused, and nothing of it lands.
preview=$work/preview
cp -r "$site" "$preview"
sed -i 's#https://galeri.example.go.id#http://127.0.0.1:8080#g' "$preview/sitemap.xml"
echo '<!doctype html><title>Pratinjau</title>' >"$preview/pratinjau.html"
if infra/scripts/publish-site.sh --stack galeri-test --site "$preview" --no-invalidate \
  >"$work/publish4.log" 2>&1; then
  check "preview sitemap refused" "refused" "published"
else
  check "preview sitemap refused" "refused" "refused"
fi
check "refusal names the foreign URL" "yes" \
  "$(grep -q 'sitemap.xml: http://127.0.0.1:8080/' "$work/publish4.log" && echo yes || echo no)"
check "nothing of the preview uploaded" "no" "$(exists pratinjau.html)"
# A feed for another host, likewise.
cp "$site/sitemap.xml" "$preview/sitemap.xml"
sed -i 's#https://galeri.example.go.id/atom.xml#https://galeri.example.org/atom.xml#' "$preview/atom.xml"
if infra/scripts/publish-site.sh --stack galeri-test --site "$preview" --no-invalidate \
  >"$work/publish5.log" 2>&1; then
  check "foreign feed refused" "refused" "published"
else
  check "foreign feed refused" "refused" "refused"
fi
check "nothing of the foreign feed's site uploaded" "no" "$(exists pratinjau.html)"
# The same origin with a path and a port-less match is accepted (the first publish above).
check "own sitemap uploaded" "yes" "$(exists sitemap.xml)"

echo "publish-site: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
