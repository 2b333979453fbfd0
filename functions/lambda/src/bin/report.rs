//! Lambda function `report`: serves GET /v1/reports/settlement.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    galeri_lambda::run(galeri_api::Function::Report).await
}
