# ruff: noqa: E501
"""Synchronization payloads copied from "Configure provisioning using the Microsoft Graph API".

Source: /work/shared/reference/configure-provisioning-with-graph.md (AWS Single Sign-on example).
The templates response in the doc has one closing brace too many after the template object;
it is fixed here so that it parses. The created and quarantined job responses live in
`payloads.py` (`job_created_aws`, `job_quarantined_aws`).
"""

from __future__ import annotations

import json
from typing import Any

SP_ID = "29f68db3-1000-46bf-a940-f5ea3ecc39e7"
APP_TEMPLATE_ID = "21ed01d2-ec13-4e9e-86c1-cd546719ebc4"
JOB_ID = "aWSSingleSignon.ff8bf889e03141ac8f7baedb059892ee.bfc8712e-0986-4d47-896b-6872713598c6"

APPLICATION_TEMPLATES_TEXT = r"""{
  "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#applicationTemplates",
  "value": [
    {
      "id": "21ed01d2-ec13-4e9e-86c1-cd546719ebc4",
      "displayName": "AWS Single Sign-on",
      "homePageUrl": "https://aws.amazon.com/",
      "supportedSingleSignOnModes": [
        "saml",
        "external"
      ],
      "supportedProvisioningTypes": [
        "sync"
      ],
      "logoUrl": "https://az495088.vo.msecnd.net/app-logo/awssinglesignon_215.png",
      "categories": [
        "developerServices",
        "itInfrastructure",
        "security",
        "New"
      ],
      "publisher": "Amazon Web Services, Inc.",
      "description": "Federate once to AWS SSO & use it to manage access centrally to multiple AWS accounts. Provision users via SCIM & get Azure AD single sign-in access to the AWS Console, CLI, & AWS SSO integrated apps."
    }
  ]
}"""

INSTANTIATE_REQUEST_TEXT = r"""{
  "displayName": "AWS Contoso"
}"""

INSTANTIATE_RESPONSE_TEXT = r"""{
  "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.applicationServicePrincipal",
  "application": {
    "id": "45ed32ab-76f1-4ce0-b3c2-b59c4502be43",
    "appId": "bfc8712e-0986-4d47-896b-6872713598c6",
    "applicationTemplateId": "21ed01d2-ec13-4e9e-86c1-cd546719ebc4",
    "createdDateTime": "2021-05-24T20:24:16Z",
    "deletedDateTime": null,
    "displayName": "AWS Contoso",
    "groupMembershipClaims": null,
    "identifierUris": [],
    "isFallbackPublicClient": false,
    "signInAudience": "AzureADMyOrg",
    "tags": [],
    "tokenEncryptionKeyId": null,
    "defaultRedirectUri": null,
    "optionalClaims": null,
    "verifiedPublisher": {
      "displayName": null,
      "verifiedPublisherId": null,
      "addedDateTime": null
    },
    "addIns": [],
    "api": {
      "acceptMappedClaims": null,
      "knownClientApplications": [],
      "requestedAccessTokenVersion": null,
      "oauth2PermissionScopes": [
        {
          "adminConsentDescription": "Allow the application to access AWS Contoso on behalf of the signed-in user.",
          "adminConsentDisplayName": "Access AWS Contoso",
          "id": "c1dcc9a0-c0d5-49af-a5f9-dd4a70837710",
          "isEnabled": true,
          "type": "User",
          "userConsentDescription": "Allow the application to access AWS Contoso on your behalf.",
          "userConsentDisplayName": "Access AWS Contoso",
          "value": "user_impersonation"
        }
      ],
      "preAuthorizedApplications": []
    },
    "appRoles": [
      {
        "allowedMemberTypes": [
          "User"
        ],
        "displayName": "User",
        "id": "8774f594-1d59-4279-b9d9-59ef09a23530",
        "isEnabled": true,
        "description": "User",
        "value": null,
        "origin": "Application"
      },
      {
        "allowedMemberTypes": [
          "User"
        ],
        "displayName": "msiam_access",
        "id": "e7f1a7f3-9eda-48e0-9963-bd67bf531afd",
        "isEnabled": true,
        "description": "msiam_access",
        "value": null,
        "origin": "Application"
      }
    ],
    "info": {
      "logoUrl": null,
      "marketingUrl": null,
      "privacyStatementUrl": null,
      "supportUrl": null,
      "termsOfServiceUrl": null
    },
    "keyCredentials": [],
    "parentalControlSettings": {
      "countriesBlockedForMinors": [],
      "legalAgeGroupRule": "Allow"
    },
    "passwordCredentials": [],
    "publicClient": {
      "redirectUris": []
    },
    "requiredResourceAccess": [],
    "web": {
      "homePageUrl": "https://*.signin.aws.amazon.com/platform/saml/acs/*?metadata=awssinglesignon|ISV9.1|primary|z",
      "redirectUris": []
    }
  },
  "servicePrincipal": {
    "id": "29f68db3-1000-46bf-a940-f5ea3ecc39e7",
    "deletedDateTime": null,
    "accountEnabled": true,
    "appId": "bfc8712e-0986-4d47-896b-6872713598c6",
    "applicationTemplateId": "21ed01d2-ec13-4e9e-86c1-cd546719ebc4",
    "appDisplayName": "AWS Contoso",
    "alternativeNames": [],
    "appOwnerOrganizationId": "ff8bf889-e031-41ac-8f7b-aedb059892ee",
    "displayName": "AWS Contoso",
    "appRoleAssignmentRequired": true,
    "loginUrl": null,
    "logoutUrl": null,
    "homepage": "https://*.signin.aws.amazon.com/platform/saml/acs/*?metadata=awssinglesignon|ISV9.1|primary|z",
    "notificationEmailAddresses": [],
    "preferredSingleSignOnMode": null,
    "preferredTokenSigningKeyThumbprint": null,
    "replyUrls": [],
    "servicePrincipalNames": [
      "bfc8712e-0986-4d47-896b-6872713598c6"
    ],
    "servicePrincipalType": "Application",
    "tags": [
      "WindowsAzureActiveDirectoryIntegratedApp"
    ],
    "tokenEncryptionKeyId": null,
    "samlSingleSignOnSettings": null,
    "verifiedPublisher": {
      "displayName": null,
      "verifiedPublisherId": null,
      "addedDateTime": null
    },
    "addIns": [],
    "appRoles": [
      {
        "allowedMemberTypes": [
          "User"
        ],
        "displayName": "User",
        "id": "8774f594-1d59-4279-b9d9-59ef09a23530",
        "isEnabled": true,
        "description": "User",
        "value": null,
        "origin": "Application"
      },
      {
        "allowedMemberTypes": [
          "User"
        ],
        "displayName": "msiam_access",
        "id": "e7f1a7f3-9eda-48e0-9963-bd67bf531afd",
        "isEnabled": true,
        "description": "msiam_access",
        "value": null,
        "origin": "Application"
      }
    ],
    "info": {
      "logoUrl": null,
      "marketingUrl": null,
      "privacyStatementUrl": null,
      "supportUrl": null,
      "termsOfServiceUrl": null
    },
    "keyCredentials": [],
    "oauth2PermissionScopes": [
      {
        "adminConsentDescription": "Allow the application to access AWS Contoso on behalf of the signed-in user.",
        "adminConsentDisplayName": "Access AWS Contoso",
        "id": "c1dcc9a0-c0d5-49af-a5f9-dd4a70837710",
        "isEnabled": true,
        "type": "User",
        "userConsentDescription": "Allow the application to access AWS Contoso on your behalf.",
        "userConsentDisplayName": "Access AWS Contoso",
        "value": "user_impersonation"
      }
    ],
    "passwordCredentials": []
  }
}"""

SYNC_TEMPLATES_TEXT = r"""{
  "@odata.context": "https://graph.microsoft.com/beta/$metadata#servicePrincipals('29f68db3-1000-46bf-a940-f5ea3ecc39e7')/synchronization/templates",
    "value": [
      {
        "id": "aWSSingleSignon",
        "applicationId": "21ed01d2-ec13-4e9e-86c1-cd546719ebc4",
        "default": true,
        "description": null,
        "discoverable": true,
        "factoryTag": "aWSSingleSignon",
        "metadata": [
          {
            "key": "AzureIngestionAttributeOptimization",
            "value": "False"
          },
          {
            "key": "AzureIngestionAttributeOptimization",
            "value": "False"
          },
          {
            "key": "galleryApplicationIdentifier",
            "value": "21ed01d2-ec13-4e9e-86c1-cd546719ebc4"
          },
          {
            "key": "galleryApplicationKey",
            "value": "awssinglesignon"
          },
          {
            "key": "isSynchronizationInPreview",
            "value": "true"
          },
          {
            "key": "configurationFields",
            "value": "[{\"name\":\"baseaddress\"},{\"name\":\"secrettoken\",\"secret\":true}]"
          }
        ],
        "schema@odata.context": "https://graph.microsoft.com/beta/$metadata#servicePrincipals('29f68db3-1000-46bf-a940-f5ea3ecc39e7')/synchronization/templates('aWSSingleSignon')/schema/$entity",
        "schema": {
          "id": "aWSSingleSignon.00000000000000000000000000000000",
          "version": "6.0",
          "synchronizationRules": [
            {
              "editable": true,
              "id": "03f7d90d-bf71-41b1-bda6-aaf0ddbee5d8",
              "name": "USERGROUP_OUTBOUND_USERGROUP",
              "priority": 1,
              "sourceDirectoryName": "Azure Active Directory",
              "targetDirectoryName": "AWSSingleSignon",
              "metadata": [
                {
                  "key": "defaultSourceObjectMappings",
                  "value": "[{\"AttributeMappings\":[{\"DefaultValue\":\"False\",...,\"Unsynchronized\":false}}]]"
                },
                {
                  "key": "supportsProvisionOnDemand",
                  "value": "true"
                }
              ],
              "objectMappings": [
                {
                  "enabled": true,
                  "flowTypes": "Add,Update,Delete",
                  "name": "Provision Azure Active Directory Groups",
                  "scope": null,
                  "sourceObjectName": "Group",
                  "targetObjectName": "urn:ietf:params:scim:schemas:core:2.0:Group",
                  "attributeMappings": [
                    {
                      "defaultValue": null,
                      "exportMissingReferences": false,
                      "flowBehavior": "FlowWhenChanged",
                      "flowType": "Always",
                      "matchingPriority": 0,
                      "targetAttributeName": "members",
                      "source": {
                        "expression": "[members]",
                        "name": "members",
                        "type": "Attribute",
                        "parameters": []
                      }
                    }
                  ],
                  "metadata": [
                    {
                      "key": "IsCustomerDefined",
                      "value": "false"
                    },
                    {
                      "key": "DisableMonitoringForChanges",
                      "value": "false"
                    },
                    {
                      "key": "Disposition",
                      "value": "\"Normal\""
                    },
                    {
                      "key": "ExcludeFromReporting",
                      "value": "false"
                    },
                    {
                      "key": "EscrowBehavior",
                      "value": "\"Default\""
                    },
                    {
                      "key": "Unsynchronized",
                      "value": "false"
                    },
                    {
                      "key": "OriginalJoiningProperty",
                      "value": "displayName"
                    }
                  ]
                }
              ]
            }
          ]
        }
      }
  ]
}"""

CREATE_JOB_REQUEST_TEXT = r"""{
    "templateId": "aWSSingleSignon"
}"""


def load(text: str) -> dict[str, Any]:
    """One of the payload texts above, parsed."""
    return json.loads(text)
