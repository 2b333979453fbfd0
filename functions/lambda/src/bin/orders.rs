//! Lambda function `orders`: serves the online orders, POST/GET /v1/orders and /v1/orders/{id}/….

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    galeri_lambda::run(galeri_api::Function::Orders).await
}
