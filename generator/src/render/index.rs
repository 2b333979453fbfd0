//! Lookups and groupings computed once per build (positions into the library's vectors): the
//! products of each category, producer and kecamatan, by name, and the newest first.

use super::urls;
use super::views::CountedLink;
use crate::content::{self, Library};
use std::collections::HashMap;

/// Lookups and groupings computed once per build (positions into the library's vectors).
pub struct Index {
    /// For each product, its producer's position.
    pub product_producer: Vec<usize>,
    /// All products by name.
    pub by_name: Vec<usize>,
    /// Newest first; undated last.
    pub newest: Vec<usize>,
    /// Per category (same order as `library.categories`), its products by name.
    pub by_category: Vec<Vec<usize>>,
    /// Per producer, its products by name.
    pub by_producer: Vec<Vec<usize>>,
    /// Kecamatan with at least one producer: (name, slug, producers, products by name).
    pub kecamatan: Vec<KecamatanGroup>,
}

pub struct KecamatanGroup {
    pub name: &'static str,
    pub slug: String,
    pub producers: Vec<usize>,
    pub products: Vec<usize>,
}

impl Index {
    pub fn new(library: &Library) -> Index {
        let producer_position: HashMap<&str, usize> = library
            .producers
            .iter()
            .enumerate()
            .map(|(position, producer)| (producer.slug.as_str(), position))
            .collect();
        let category_position: HashMap<&str, usize> = library
            .categories
            .iter()
            .enumerate()
            .map(|(position, category)| (category.slug.as_str(), position))
            .collect();
        // Validation guarantees every reference resolves; 0 is never used for a missing one.
        let product_producer: Vec<usize> = library
            .products
            .iter()
            .map(|product| {
                producer_position
                    .get(product.producer.as_str())
                    .copied()
                    .unwrap_or(0)
            })
            .collect();
        let mut by_name: Vec<usize> = (0..library.products.len()).collect();
        by_name.sort_by(|a, b| {
            let (a, b) = (&library.products[*a], &library.products[*b]);
            (&a.name, &a.sku).cmp(&(&b.name, &b.sku))
        });
        let mut newest = by_name.clone();
        newest.sort_by(|a, b| {
            let (a, b) = (&library.products[*a], &library.products[*b]);
            // Dated before undated, then newest first; the stable sort keeps name order.
            (b.added.is_some(), b.added).cmp(&(a.added.is_some(), a.added))
        });
        let mut by_category = vec![Vec::new(); library.categories.len()];
        let mut by_producer = vec![Vec::new(); library.producers.len()];
        for &position in &by_name {
            let product = &library.products[position];
            if let Some(category) = category_position.get(product.category.as_str()) {
                by_category[*category].push(position);
            }
            by_producer[product_producer[position]].push(position);
        }
        let mut kecamatan: Vec<KecamatanGroup> = Vec::new();
        for name in content::kecamatan::KECAMATAN {
            let producers: Vec<usize> = library
                .producers
                .iter()
                .enumerate()
                .filter(|(_, producer)| producer.kecamatan == name)
                .map(|(position, _)| position)
                .collect();
            if producers.is_empty() {
                continue;
            }
            let products = by_name
                .iter()
                .copied()
                .filter(|position| library.producers[product_producer[*position]].kecamatan == name)
                .collect();
            kecamatan.push(KecamatanGroup {
                name,
                slug: content::kecamatan::slug(name),
                producers,
                products,
            });
        }
        Index {
            product_producer,
            by_name,
            newest,
            by_category,
            by_producer,
            kecamatan,
        }
    }

    pub fn category_links(&self, library: &Library) -> Vec<CountedLink> {
        library
            .categories
            .iter()
            .zip(&self.by_category)
            .map(|(category, products)| CountedLink {
                title: category.name.clone(),
                slug: category.slug.clone(),
                url: urls::category(&category.slug),
                count: products.len(),
                description: Some(category.description.clone()),
            })
            .collect()
    }

    pub fn kecamatan_links(&self) -> Vec<CountedLink> {
        self.kecamatan
            .iter()
            .map(|group| CountedLink {
                title: group.name.to_owned(),
                slug: group.slug.clone(),
                url: urls::kecamatan(&group.slug),
                count: group.products.len(),
                description: None,
            })
            .collect()
    }
}
