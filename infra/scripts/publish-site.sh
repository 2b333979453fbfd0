#!/usr/bin/env bash
# Publishes a built site (public/) to the stack's private S3 bucket and refreshes CloudFront.
#
#   cargo run --release -- build --base-url https://galeri.example.go.id
#   infra/scripts/publish-site.sh --stack galeri-prod [--site public] [--no-invalidate] [--wait]
#                                 [--prune-assets] [--dry-run]
#
# What it guarantees:
# - Content types are set explicitly per extension (not guessed), HTML as UTF-8.
# - Cache-Control: fingerprinted files (a name like style.3f9a2c1b.css, i.e. `.` + 8 hex digits
#   before the extension) get a year and `immutable`; everything else (pages, catalog.json,
#   the search index, feeds, sitemap) gets 5 minutes, so a change shows within minutes.
# - Order: fingerprinted assets first, then data, HTML last, so no page is ever live before
#   the files it links to.
# - Deletion: pages and data that left the build are deleted; old fingerprinted assets are
#   kept, because pages still cached at the edge (≤ 5 minutes) or in browsers may link to
#   them (`--prune-assets` deletes them too, e.g. a day later).
# - An invalidation of /* (one path: free within CloudFront's 1,000 free paths a month) makes
#   the new pages visible at once (`--wait` waits for it to complete).
# - Refusal: a site whose sitemap.xml, atom.xml or robots.txt names another origin than the
#   stack's SiteUrl (e.g. a `galeri serve` preview, built for http://127.0.0.1:8080) is not
#   uploaded at all: build it with `--base-url` set to the stack's site.
set -euo pipefail
cd "$(dirname "$0")/../.."

stack=${GALERI_STACK:-}
site=public
invalidate=true
wait_for_invalidation=false
dry_run=()
prune_assets=false

while [ $# -gt 0 ]; do
  case $1 in
    --stack) stack=$2; shift 2 ;;
    --site) site=$2; shift 2 ;;
    --no-invalidate) invalidate=false; shift ;;
    --wait) wait_for_invalidation=true; shift ;;
    --prune-assets) prune_assets=true; shift ;;
    --dry-run) dry_run=(--dryrun); shift ;;
    -h | --help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
if [ -z "$stack" ]; then
  echo "--stack STACK (or GALERI_STACK) is required, e.g. galeri-prod" >&2
  exit 2
fi
for required in index.html 404.html catalog.json; do
  if [ ! -f "$site/$required" ]; then
    echo "$site/$required is missing: build the site first (cargo run --release -- build)" >&2
    exit 1
  fi
done

# The origin every absolute URL of the site must have: a preview or a build for another host
# would publish links (sitemap, canonical, Open Graph, feed) that lead elsewhere.
site_url=$(infra/scripts/stack-output.sh "$stack" SiteUrl)
origin=$(printf '%s' "$site_url" | sed -E 's#^([a-z]+://[^/]+).*#\1#')
foreign=$(
  for file in sitemap.xml atom.xml robots.txt; do
    if [ -f "$site/$file" ]; then
      grep -oE '(https?://[^"<>[:space:]]*)' "$site/$file" |
        grep -vE '^https?://www\.(sitemaps\.org|w3\.org)/' |
        while IFS= read -r url; do
          case $url in
            "$origin" | "$origin"/*) ;;
            *) echo "$file: $url" ;;
          esac
        done
    fi
  done | head -n 5
) || true
if [ -n "$foreign" ]; then
  echo "refusing to publish $site: it names another origin than the stack's site $origin" >&2
  echo "$foreign" | sed 's/^/  /' >&2
  echo "rebuild it for the site: cargo run --release -- build --base-url $origin" >&2
  exit 1
fi

bucket=$(infra/scripts/stack-output.sh "$stack" SiteBucketName)
distribution=$(infra/scripts/stack-output.sh "$stack" SiteDistributionId)
destination="s3://$bucket"
echo "publishing $site/ to $destination (distribution $distribution)"

hash='[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'
immutable='public, max-age=31536000, immutable'
short='public, max-age=300'

# extension → content type. HTML comes last (see the order above).
types=(
  "css:text/css; charset=utf-8"
  "js:text/javascript; charset=utf-8"
  "mjs:text/javascript; charset=utf-8"
  "woff2:font/woff2"
  "woff:font/woff"
  "svg:image/svg+xml"
  "png:image/png"
  "jpg:image/jpeg"
  "jpeg:image/jpeg"
  "webp:image/webp"
  "avif:image/avif"
  "gif:image/gif"
  "ico:image/x-icon"
  "webmanifest:application/manifest+json"
  "json:application/json; charset=utf-8"
  "xml:application/xml; charset=utf-8"
  "atom:application/atom+xml; charset=utf-8"
  "txt:text/plain; charset=utf-8"
  "csv:text/csv; charset=utf-8"
  "pdf:application/pdf"
  "html:text/html; charset=utf-8"
)

known_excludes=()
for entry in "${types[@]}"; do
  known_excludes+=(--exclude "*.${entry%%:*}")
done

upload() { # extension content-type
  local extension=$1 content_type=$2
  # Fingerprinted files of this type.
  aws s3 sync "$site" "$destination" "${dry_run[@]}" --no-progress \
    --exclude '*' --include "*.$hash.$extension" \
    --content-type "$content_type" --cache-control "$immutable"
  # The rest of this type.
  aws s3 sync "$site" "$destination" "${dry_run[@]}" --no-progress \
    --exclude '*' --include "*.$extension" --exclude "*.$hash.$extension" \
    --content-type "$content_type" --cache-control "$short"
}

for entry in "${types[@]}"; do
  if [ "${entry%%:*}" != html ]; then
    upload "${entry%%:*}" "${entry#*:}"
  fi
done
# Anything of another type: the CLI guesses its content type; short cache.
aws s3 sync "$site" "$destination" "${dry_run[@]}" --no-progress \
  "${known_excludes[@]}" --cache-control "$short"
upload html "text/html; charset=utf-8"

# Delete what left the build; everything else is already in place, so this only deletes.
if [ "$prune_assets" = true ]; then
  aws s3 sync "$site" "$destination" "${dry_run[@]}" --no-progress --delete
else
  aws s3 sync "$site" "$destination" "${dry_run[@]}" --no-progress --delete --exclude "*.$hash.*"
fi

if [ "$invalidate" = true ] && [ ${#dry_run[@]} -eq 0 ]; then
  id=$(aws cloudfront create-invalidation --distribution-id "$distribution" --paths '/*' \
    --query Invalidation.Id --output text)
  echo "invalidation $id started (usually done within a minute)"
  if [ "$wait_for_invalidation" = true ]; then
    aws cloudfront wait invalidation-completed --distribution-id "$distribution" --id "$id"
    echo "invalidation $id completed"
  fi
fi
echo "published: $(infra/scripts/stack-output.sh "$stack" SiteUrl)"
