module opencon.local/tools/terraform

go 1.26.0

require github.com/hashicorp/terraform v1.14.9
replace github.com/hashicorp/terraform/internal/backend/remote-state/azure => ./stub/azure
replace github.com/hashicorp/terraform/internal/backend/remote-state/consul => ./stub/consul
replace github.com/hashicorp/terraform/internal/backend/remote-state/cos => ./stub/cos
replace github.com/hashicorp/terraform/internal/backend/remote-state/gcs => ./stub/gcs
replace github.com/hashicorp/terraform/internal/backend/remote-state/kubernetes => ./stub/kubernetes
replace github.com/hashicorp/terraform/internal/backend/remote-state/oci => ./stub/oci
replace github.com/hashicorp/terraform/internal/backend/remote-state/oss => ./stub/oss
replace github.com/hashicorp/terraform/internal/backend/remote-state/pg => ./stub/pg
replace github.com/hashicorp/terraform/internal/backend/remote-state/s3 => ./stub/s3
replace github.com/hashicorp/terraform/internal/legacy => ./stub/legacy
