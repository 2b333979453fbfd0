//! Lambda function `history`: serves POST /v1/history and GET /v1/redemptions/{id}.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    galeri_lambda::run(galeri_api::Function::History).await
}
