//! Rules across files: products point at existing producers and categories, SKUs and slugs are
//! unique, and food products carry their permits (DOMAIN.md).

use super::diagnostics::{did_you_mean, Diagnostic, Position, Problem};
use super::product::Product;
use super::site::Category;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Every cross-file problem. `products` must be sorted by path so "already used in" names the
/// first file in reading order.
/// `category_slugs` and `producer_slugs` are every slug written, including those of entries with
/// problems of their own, so one mistake is reported once.
pub fn cross_check(
    categories: &[Category],
    category_slugs: &[String],
    producer_slugs: &[String],
    products: &[Product],
) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();

    let mut category_seen = HashSet::new();
    for category in categories {
        if !category_seen.insert(category.slug.as_str()) {
            diagnostics.push(Diagnostic::new(
                "categories.yaml",
                Position {
                    line: category.line,
                    col: 1,
                },
                Problem::DuplicateCategory {
                    slug: category.slug.clone(),
                },
            ));
        }
    }
    let categories_by_slug: HashMap<&str, &Category> = categories
        .iter()
        .map(|category| (category.slug.as_str(), category))
        .collect();
    let producer_slugs: HashSet<&str> = producer_slugs.iter().map(String::as_str).collect();
    let category_slugs: HashSet<&str> = category_slugs.iter().map(String::as_str).collect();

    let mut by_path: Vec<&Product> = products.iter().collect();
    by_path.sort_by(|a, b| a.file.cmp(&b.file));
    let mut sku_seen: HashMap<&str, &Path> = HashMap::new();
    let mut slug_seen: HashMap<(&str, &str), &Path> = HashMap::new();
    for product in by_path {
        let file: PathBuf = product.file.clone();
        if !producer_slugs.contains(product.producer.as_str()) {
            let hint = did_you_mean(&product.producer, producer_slugs.iter().copied());
            diagnostics.push(
                Diagnostic::new(
                    &file,
                    product.spots.producer,
                    Problem::UnknownProducer {
                        slug: product.producer.clone(),
                    },
                )
                .with_hint(hint),
            );
        }
        match categories_by_slug.get(product.category.as_str()) {
            // Written but invalid: its own entry reports the problem.
            None if category_slugs.contains(product.category.as_str()) => {}
            None => {
                let hint = did_you_mean(&product.category, category_slugs.iter().copied());
                diagnostics.push(
                    Diagnostic::new(
                        &file,
                        product.spots.category,
                        Problem::UnknownCategory {
                            slug: product.category.clone(),
                        },
                    )
                    .with_hint(hint),
                );
            }
            Some(category) if category.food => {
                let permits = &product.permits;
                if permits.pirt.is_none() && permits.bpom.is_none() {
                    diagnostics.push(Diagnostic::new(
                        &file,
                        product.spots.permits,
                        Problem::FoodNeedsPermit {
                            category: category.slug.clone(),
                        },
                    ));
                }
                if permits.halal.is_none() && !permits.non_halal {
                    diagnostics.push(Diagnostic::new(
                        &file,
                        product.spots.permits,
                        Problem::FoodNeedsHalal {
                            category: category.slug.clone(),
                        },
                    ));
                }
            }
            Some(_) => {}
        }
        if let Some(first) = sku_seen.get(product.sku.as_str()) {
            diagnostics.push(Diagnostic::new(
                &file,
                product.spots.sku,
                Problem::DuplicateSku {
                    sku: product.sku.clone(),
                    first: first.to_path_buf(),
                },
            ));
        } else {
            sku_seen.insert(product.sku.as_str(), product.file.as_path());
        }
        let key = (product.producer.as_str(), product.slug.as_str());
        if let Some(first) = slug_seen.get(&key) {
            diagnostics.push(Diagnostic::new(
                &file,
                product.spots.producer,
                Problem::DuplicateSlug {
                    slug: format!("{}/{}", product.producer, product.slug),
                    first: first.to_path_buf(),
                },
            ));
        } else {
            slug_seen.insert(key, product.file.as_path());
        }
    }
    diagnostics
}
