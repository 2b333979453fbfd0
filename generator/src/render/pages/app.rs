//! App pages at fixed addresses (`/cari/`, `/cek-saldo/`, `/kasir/`): their template of the same
//! name gets the base context plus `api_base` (the voucher API) and the kecamatan links (for
//! the search filters); the page itself runs in the browser.

use super::{Page, Renderer};
use crate::render::urls::AppPage;

pub fn render(renderer: &Renderer<'_>, app: AppPage) -> Page {
    let mut context = renderer.context();
    context.insert("api_base", renderer.api_base);
    context.insert("kecamatan", &renderer.index.kecamatan_links());
    // The theme test (`Strings` tests) guarantees an entry per app page; a theme without one
    // falls back to the slug rather than failing a build over a title.
    let strings = renderer.strings.app_pages.get(app.slug);
    let title = strings.map_or_else(|| app.slug.to_owned(), |page| page.title.clone());
    let mut page = Page::new(app.url.into(), app.template, title, context)
        .described(strings.and_then(|page| page.description.clone()));
    page.in_sitemap = app.public;
    page
}
