//! Lambda function `balance`: serves POST /v1/balance and GET /v1/health.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    galeri_lambda::run(galeri_api::Function::Balance).await
}
