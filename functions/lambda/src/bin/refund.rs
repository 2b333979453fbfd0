//! Lambda function `refund`: serves POST /v1/redemptions/{id}/refund.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    galeri_lambda::run(galeri_api::Function::Refund).await
}
