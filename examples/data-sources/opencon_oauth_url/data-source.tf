variable "gmail_client_secret" {
  type      = string
  sensitive = true
}

# Step one of the OAuth flow. Open the URL, approve, and copy the `code`
# query parameter from the redirect to https://auth.mycoolapp.com/oauth.
data "opencon_oauth_url" "gmail" {
  element_key  = "gmail"
  api_key      = "xxxxxxxxxxxxxxxxxx.apps.googleusercontent.com"
  api_secret   = var.gmail_client_secret
  callback_url = "https://auth.mycoolapp.com/oauth"
  state        = "gmail-prod"
}

output "gmail_oauth_url" {
  value = data.opencon_oauth_url.gmail.url
}

# Step two, in the next apply: pass the code once, for example with
# `terraform apply -var gmail_authorization_code=4/0Ab...`. The code is spent on
# create; later plans do not need it to stay the same.
variable "gmail_authorization_code" {
  type      = string
  sensitive = true
}

resource "opencon_instance" "gmail" {
  element_key        = "gmail"
  name               = "Gmail"
  authorization_code = var.gmail_authorization_code

  # The same app as the URL was made for.
  oauth_api_key      = data.opencon_oauth_url.gmail.api_key
  oauth_api_secret   = var.gmail_client_secret
  oauth_callback_url = data.opencon_oauth_url.gmail.callback_url
}
