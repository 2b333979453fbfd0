//! Lambda function `redeem`: serves POST /v1/redemptions.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    galeri_lambda::run(galeri_api::Function::Redeem).await
}
