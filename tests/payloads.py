# ruff: noqa: E501
"""Reference payloads as Python data, copied from the public documentation and live captures.

Sources (see /work/shared/reference/):
- Graph v1.0 `GET /auditLogs/provisioning` examples (graph-api-facts.md §1.5): the AWS
  RolesCompound success and the Contoso 409 failure. The AWS example in the docs has a trailing
  comma in `modifiedProperties` and the typo `initiatingType`; it is included here as Graph
  really sends it (valid JSON, `initiatorType`).
- The live v1.0 record of graph-api-facts.md §1.6 (SCIM group, RedundantExport skip).
- The beta Box example of configure-provisioning-with-graph.md (legacy `action`/`statusInfo`).
- The diagnostic-settings record of graph-api-facts.md §6.3 (Elastic's "duration as string"
  capture, plus the `callerIpAddress` seen in another capture).
- The three provisionOnDemand responses of provision-on-demand.md, as JSON text.
- The AWS synchronization jobs of configure-provisioning-with-graph.md (created and quarantined).
"""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path
from typing import Any

ON_DEMAND_SKIPPED_TEXT = r"""{
    "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.stringKeyStringValuePair",
    "key": "{\"result\":\"Skipped\",\"details\":{\"errorCode\":\"RedundantExport\",\"errorMessage\":\"The state of the user in both the source and target systems already match.\"}}",
    "value": "{\"action\":\"Other\",\"changeId\":\"g8ba3be8-1d7f-4a60-ae31-a8980da0a389\",\"endTime\":\"2020-06-26T13:58:24.7682084Z\",\"modifiedProperties\":[{\"displayName\":\"objectId\",\"oldValue\":null,\"newValue\":\"52cf7b7a-52be-4a9b-9c69-e4d4a4a14f76\"},{\"displayName\":\"accountEnabled\",\"oldValue\":null,\"newValue\":\"True\"},{\"displayName\":\"displayName\",\"oldValue\":null,\"newValue\":\"Bill Bob\"},{\"displayName\":\"mailNickname\",\"oldValue\":null,\"newValue\":\"Bill\"},{\"displayName\":\"userPrincipalName\",\"oldValue\":null,\"newValue\":\"BillBob@scimreftest.onmicrosoft.com\"},{\"displayName\":\"IsSoftDeleted\",\"oldValue\":null,\"newValue\":\"False\"},{\"displayName\":\"appRoleAssignments\",\"oldValue\":null,\"newValue\":\"User\"}],\"provisioningSteps\":[{\"name\":\"EntryImport\",\"type\":\"Import\",\"status\":\"Success\",\"description\":\"Retrieved User 'BillBob@scimreftest.onmicrosoft.com' from Azure Active Directory\",\"timestamp\":\"2020-06-26T13:58:24.5494971Z\",\"details\":{\"objectId\":\"52cf7b7a-52be-4a9b-9c69-e4d4a4a14f76\",\"accountEnabled\":\"True\",\"displayName\":\"Fill Bob\",\"mailNickname\":\"Bill\",\"userPrincipalName\":\"BillBob@scimreftest.onmicrosoft.com\",\"IsSoftDeleted\":\"False\",\"appRoleAssignments\":\"User\"}},{\"name\":\"EntryImport\",\"type\":\"Matching\",\"status\":\"Success\",\"description\":\"Retrieved  'BillBob@scimreftest.onmicrosoft.com' from customappsso\",\"timestamp\":\"2020-06-26T13:58:24.7214072Z\",\"details\":{\"active\":\"True\",\"displayName\":\"Bill Bob\",\"externalId\":\"Bill\",\"id\":\"52507a19-96ec-4e73-9250-3e65ffd2d926\",\"userName\":\"BillBob@scimreftest.onmicrosoft.com\"}},{\"name\":\"EntrySynchronizationScoping\",\"type\":\"Scoping\",\"status\":\"Success\",\"description\":\"Determine if User in scope by evaluating against each scoping filter\",\"timestamp\":\"2020-06-26T13:58:24.7526181Z\",\"details\":{\"IsActive\":\"True\",\"Assigned\":\"True\",\"IsEffectivelyEntitledForProvisioning\":\"True\",\"IsInProvisioningScopeDisplayName\":\"True\",\"ScopeEvaluationResult\":\"{}\"}},{\"name\":\"EntrySynchronizationSkip\",\"type\":\"Export\",\"status\":\"Skipped\",\"description\":\"The state of the user in both the source and target systems already match. No change to the User 'BillBob@scimreftest.onmicrosoft.com' currently needs to be made.\",\"timestamp\":\"2020-06-26T13:58:24.7682084Z\",\"details\":{\"SkipReason\":\"RedundantExport\"}}],\"reportableIdentifier\":\"BillBob@scimreftest.onmicrosoft.com\",\"startTime\":\"2020-06-26T13:58:24.5494971Z\",\"statusInfo\":{\"status\":\"Skipped\",\"errorCode\":null,\"reason\":null,\"additionalDetails\":null,\"errorCategory\":null,\"recommendedAction\":null},\"sourceIdentity\":{\"id\":\"62cf7b7a-52be-4a9b-9c69-e5d4a4a14f67\",\"type\":\"User\",\"displayName\":null,\"details\":null},\"sourceSystem\":{\"id\":null,\"name\":\"Azure Active Directory\",\"details\":null},\"targetIdentity\":{\"id\":\"52507a19-96ec-4e73-9250-3e65ffd2d926\",\"type\":\"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\",\"displayName\":null,\"details\":null},\"targetSystem\":{\"id\":null,\"name\":\"customappsso\",\"details\":null}}"
}"""

ON_DEMAND_CLOUD_SYNC_UPDATE_TEXT = r"""{
    "@odata.context": "https://syncfabric.windowsazure.com/api/$metadata#microsoft.synchronization.stringKeyStringValuePair",
    "key": "{\"result\":\"Success\",\"details\":{}}",
    "value": "{\"provisioningSteps\":[{\"name\":\"EntryImportAdd\",\"type\":\"Import\",\"status\":\"Success\",\"description\":\"Received user 'adelev@chicago.com' change of type (Add) from Active Directory\",\"timestamp\":\"2022-04-21T18:40:07.8465145Z\",\"details\":{\"distinguishedName\":\"CN=AdeleV,CN=Users,DC=corp,DC=chicago,DC=com\",\"cn\":\"Adele Vest\",\"originatingReplicaToken\":\"{\\\"InvocationId\\\":\\\"6cbd7b45-b262-4dad-94a3-620503ea1f25\\\",\\\"Name\\\":\\\"DC01.esf.edu\\\"}\",\"sAMAccountName\":\"adelev\",\"targetAddress\":\"SMTP:adelev@esf0.mail.onmicrosoft.com\",\"givenName\":\"Adele\",\"objectSid\":\"AQUAAAAAAAUVAAAAXAMNf/YJ8nmaUZofGG4BAA==\",\"displayName\":\"Adele Vest\",\"msExchMailboxGuid\":\"+klu7DM5yE+9tOs6MuGxsw==\",\"msExchELCMailboxFlags\":\"2\",\"pwdLastSet\":\"132772253564048004\",\"initials\":\"S\",\"msExchRecipientDisplayType\":\"-2147483642\",\"streetAddress\":\"One Microsoft Way\",\"mail\":\"adelev@chicago.com\",\"sn\":\"AdeleV\",\"msExchSafeSendersHash\":\"gny5JQ==\",\"proxyAddresses\":\"X, 5, 0,  ... X400:C=US;A= ;P=ESF;O=MAIL;S=AdeleV;G=Adele;I=S; (5)\",\"objectGUID\":\"xxxxxxxLIUuBM8qK5Sxxxx\",\"legacyExchangeDN\":\"/o=ESF/ou=External (FYDIBOHF25SPDLT)/cn=Recipients/cn=b499521b46264967a6de75f1a08add7a\",\"msExchRecipientTypeDetails\":\"2147483648\",\"userAccountControl\":\"66048\",\"accountDisabled\":\"False\",\"countryCode\":\"840\",\"co\":\"United States\",\"l\":\"Chicago\",\"extensionAttribute10\":\"839153607\",\"c\":\"US\",\"mS-DS-ConsistencyGuid\":\"xxxxxxxLIUuBM8qK5Sxxxx\",\"mailNickname\":\"adelev\",\"st\":\"NY\",\"extensionAttribute15\":\"C1EA2EA6EC56F3D94D2D89D95D70E4D0\",\"extensionAttribute14\":\"F00177677\",\"postalCode\":\"13210\",\"extensionAttribute6\":\"A5\",\"msExchRemoteRecipientType\":\"4\",\"extensionAttribute5\":\"11\",\"userPrincipalName\":\"adelev@chicago.com\",\"adminDescription\":\"\",\"company\":\"\",\"department\":\"\",\"description\":\"\",\"employeeID\":\"\",\"employeeNumber\":\"\",\"employeeType\":\"\",\"errors\":\"\",\"extensionAttribute1\":\"\",\"extensionAttribute11\":\"\",\"extensionAttribute12\":\"\",\"extensionAttribute13\":\"\",\"extensionAttribute2\":\"\",\"extensionAttribute3\":\"\",\"extensionAttribute4\":\"\",\"extensionAttribute7\":\"\",\"extensionAttribute8\":\"\",\"extensionAttribute9\":\"\",\"facsimileTelephoneNumber\":\"\",\"homePhone\":\"\",\"info\":\"\",\"ipPhone\":\"\",\"isCriticalSystemObject\":\"\",\"logs\":\"\",\"middleName\":\"\",\"mobile\":\"\",\"msDS-HABSeniorityIndex\":\"\",\"msDS-InclusionTrigger\":\"\",\"msDS-PhoneticDisplayName\":\"\",\"msDS-preferredDataLocation\":\"\",\"msExchArchiveGUID\":\"\",\"msExchArchiveName\":\"\",\"msExchAssistantName\":\"\",\"msExchAuditAdmin\":\"\",\"msExchAuditDelegate\":\"\",\"msExchAuditDelegateAdmin\":\"\",\"msExchAuditOwner\":\"\",\"msExchBlockedSendersHash\":\"\",\"msExchBypassAudit\":\"\",\"msExchELCExpirySuspensionEnd\":\"\",\"msExchELCExpirySuspensionStart\":\"\",\"msExchEnableModeration\":\"\",\"msExchExtensionCustomAttribute1\":\"\",\"msExchExtensionCustomAttribute2\":\"\",\"msExchExtensionCustomAttribute3\":\"\",\"msExchExtensionCustomAttribute4\":\"\",\"msExchExtensionCustomAttribute5\":\"\",\"msExchHideFromAddressLists\":\"\",\"msExchImmutableId\":\"\",\"msExchLitigationHoldDate\":\"\",\"msExchLitigationHoldOwner\":\"\",\"msExchMailboxAuditEnable\":\"\",\"msExchMailboxAuditLogAgeLimit\":\"\",\"msExchModerationFlags\":\"\",\"msExchRequireAuthToSendTo\":\"\",\"msExchResourceCapacity\":\"\",\"msExchResourceDisplay\":\"\",\"msExchResourceMetaData\":\"\",\"msExchResourceSearchProperties\":\"\",\"msExchRetentionComment\":\"\",\"msExchRetentionURL\":\"\",\"msExchSafeRecipientsHash\":\"\",\"msExchSenderHintTranslations\":\"\",\"msExchTeamMailboxExpiration\":\"\",\"msExchTeamMailboxSharePointUrl\":\"\",\"msExchUsageLocation\":\"\",\"msExchUserHoldPolicies\":\"\",\"msRTCSIP-ApplicationOptions\":\"\",\"mSRTCSIP-DeploymentLocator\":\"\",\"msRTCSIP-Line\":\"\",\"msRTCSIP-OptionFlags\":\"\",\"msRTCSIP-OwnerUrn\":\"\",\"msRTCSIP-PrimaryUserAddress\":\"\",\"msRTCSIP-UserEnabled\":\"\",\"objectClass\":\"\",\"otherFacsimileTelephoneNumber\":\"\",\"otherHomePhone\":\"\",\"otherIpPhone\":\"\",\"otherMobile\":\"\",\"otherPager\":\"\",\"otherTelephone\":\"\",\"pager\":\"\",\"physicalDeliveryOfficeName\":\"\",\"postOfficeBox\":\"\",\"preferredLanguage\":\"\",\"telephoneAssistant\":\"\",\"telephoneNumber\":\"\",\"thumbnailPhoto\":\"\",\"title\":\"\",\"url\":\"\",\"userCertificate\":\"\",\"userSMIMECertificate\":\"\",\"whenChanged\":\"\",\"wWWHomePage\":\"\"}},{\"name\":\"EntryImport\",\"type\":\"Import\",\"status\":\"Success\",\"description\":\"Retrieved user 'adelev@chicago.com' from Active Directory\",\"timestamp\":\"2022-04-21T18:40:07.8778004Z\",\"details\":{\"distinguishedName\":\"CN=AdeleV,CN=Users,DC=corp,DC=chicago,DC=com\",\"cn\":\"Adele Vest\",\"originatingReplicaToken\":\"{\\\"InvocationId\\\":\\\"6cbd7b45-b262-4dad-94a3-620503ea1f25\\\",\\\"Name\\\":\\\"DC01.esf.edu\\\"}\",\"sAMAccountName\":\"adelev\",\"targetAddress\":\"SMTP:adelev@esf0.mail.onmicrosoft.com\",\"givenName\":\"Adele\",\"objectSid\":\"AQUAAAAAAAUVAAAAXAMNf/YJ8nmaUZofGG4BAA==\",\"displayName\":\"Adele Vest\",\"msExchMailboxGuid\":\"+klu7DM5yE+9tOs6MuGxsw==\",\"msExchELCMailboxFlags\":\"2\",\"pwdLastSet\":\"132772253564048004\",\"initials\":\"S\",\"msExchRecipientDisplayType\":\"-2147483642\",\"streetAddress\":\"One Microsoft Way\",\"mail\":\"adelev@chicago.com\",\"sn\":\"AdeleV\",\"msExchSafeSendersHash\":\"gny5JQ==\",\"proxyAddresses\":\"X, 5, 0,  ... X400:C=US;A= ;P=ESF;O=MAIL;S=AdeleV;G=Adele;I=S; (5)\",\"objectGUID\":\"xxxxxxxLIUuBM8qK5Sxxxx\",\"legacyExchangeDN\":\"/o=ESF/ou=External (FYDIBOHF25SPDLT)/cn=Recipients/cn=b499521b46264967a6de75f1a08add7a\",\"msExchRecipientTypeDetails\":\"2147483648\",\"userAccountControl\":\"66048\",\"accountDisabled\":\"False\",\"countryCode\":\"840\",\"co\":\"United States\",\"l\":\"Chicago\",\"extensionAttribute10\":\"839153607\",\"c\":\"US\",\"mS-DS-ConsistencyGuid\":\"xxxxxxxLIUuBM8qK5Sxxxx\",\"mailNickname\":\"adelev\",\"st\":\"NY\",\"extensionAttribute15\":\"C1EA2EA6EC56F3D94D2D89D95D70E4D0\",\"extensionAttribute14\":\"F00177677\",\"postalCode\":\"13210\",\"extensionAttribute6\":\"A5\",\"msExchRemoteRecipientType\":\"4\",\"extensionAttribute5\":\"11\",\"userPrincipalName\":\"adelev@chicago.com\",\"adminDescription\":\"\",\"company\":\"\",\"department\":\"\",\"description\":\"\",\"employeeID\":\"\",\"employeeNumber\":\"\",\"employeeType\":\"\",\"errors\":\"\",\"extensionAttribute1\":\"\",\"extensionAttribute11\":\"\",\"extensionAttribute12\":\"\",\"extensionAttribute13\":\"\",\"extensionAttribute2\":\"\",\"extensionAttribute3\":\"\",\"extensionAttribute4\":\"\",\"extensionAttribute7\":\"\",\"extensionAttribute8\":\"\",\"extensionAttribute9\":\"\",\"facsimileTelephoneNumber\":\"\",\"homePhone\":\"\",\"info\":\"\",\"ipPhone\":\"\",\"isCriticalSystemObject\":\"\",\"logs\":\"\",\"middleName\":\"\",\"mobile\":\"\",\"msDS-HABSeniorityIndex\":\"\",\"msDS-InclusionTrigger\":\"\",\"msDS-PhoneticDisplayName\":\"\",\"msDS-preferredDataLocation\":\"\",\"msExchArchiveGUID\":\"\",\"msExchArchiveName\":\"\",\"msExchAssistantName\":\"\",\"msExchAuditAdmin\":\"\",\"msExchAuditDelegate\":\"\",\"msExchAuditDelegateAdmin\":\"\",\"msExchAuditOwner\":\"\",\"msExchBlockedSendersHash\":\"\",\"msExchBypassAudit\":\"\",\"msExchELCExpirySuspensionEnd\":\"\",\"msExchELCExpirySuspensionStart\":\"\",\"msExchEnableModeration\":\"\",\"msExchExtensionCustomAttribute1\":\"\",\"msExchExtensionCustomAttribute2\":\"\",\"msExchExtensionCustomAttribute3\":\"\",\"msExchExtensionCustomAttribute4\":\"\",\"msExchExtensionCustomAttribute5\":\"\",\"msExchHideFromAddressLists\":\"\",\"msExchImmutableId\":\"\",\"msExchLitigationHoldDate\":\"\",\"msExchLitigationHoldOwner\":\"\",\"msExchMailboxAuditEnable\":\"\",\"msExchMailboxAuditLogAgeLimit\":\"\",\"msExchModerationFlags\":\"\",\"msExchRequireAuthToSendTo\":\"\",\"msExchResourceCapacity\":\"\",\"msExchResourceDisplay\":\"\",\"msExchResourceMetaData\":\"\",\"msExchResourceSearchProperties\":\"\",\"msExchRetentionComment\":\"\",\"msExchRetentionURL\":\"\",\"msExchSafeRecipientsHash\":\"\",\"msExchSenderHintTranslations\":\"\",\"msExchTeamMailboxExpiration\":\"\",\"msExchTeamMailboxSharePointUrl\":\"\",\"msExchUsageLocation\":\"\",\"msExchUserHoldPolicies\":\"\",\"msRTCSIP-ApplicationOptions\":\"\",\"mSRTCSIP-DeploymentLocator\":\"\",\"msRTCSIP-Line\":\"\",\"msRTCSIP-OptionFlags\":\"\",\"msRTCSIP-OwnerUrn\":\"\",\"msRTCSIP-PrimaryUserAddress\":\"\",\"msRTCSIP-UserEnabled\":\"\",\"objectClass\":\"\",\"otherFacsimileTelephoneNumber\":\"\",\"otherHomePhone\":\"\",\"otherIpPhone\":\"\",\"otherMobile\":\"\",\"otherPager\":\"\",\"otherTelephone\":\"\",\"pager\":\"\",\"physicalDeliveryOfficeName\":\"\",\"postOfficeBox\":\"\",\"preferredLanguage\":\"\",\"telephoneAssistant\":\"\",\"telephoneNumber\":\"\",\"thumbnailPhoto\":\"\",\"title\":\"\",\"url\":\"\",\"userCertificate\":\"\",\"userSMIMECertificate\":\"\",\"whenChanged\":\"\",\"wWWHomePage\":\"\"}},{\"name\":\"EntrySynchronizationScoping\",\"type\":\"Scoping\",\"status\":\"Success\",\"description\":\"Determine if user in scope by evaluating against each scoping filter\",\"timestamp\":\"2022-04-21T18:40:08.1590133Z\",\"details\":{\"Active in the source system\":\"True\",\"Scoping filter evaluation passed\":\"True\"}},{\"name\":\"EntryExportUpdate\",\"type\":\"Export\",\"status\":\"Success\",\"description\":\"User 'adelev@chicago.com' was updated in Azure Active Directory\",\"timestamp\":\"2022-04-21T18:40:09.5184649Z\",\"details\":{}}],\"modifiedProperties\":[{\"displayName\":\"AccountEnabled\",\"newValue\":\"True\"},{\"displayName\":\"Alias\",\"newValue\":\"adelev\"},{\"displayName\":\"City\",\"newValue\":\"Chicago\"},{\"displayName\":\"CommonName\",\"newValue\":\"Adele Vest\"},{\"displayName\":\"Country\",\"newValue\":\"United States\"},{\"displayName\":\"CountryCode\",\"newValue\":\"840\"},{\"displayName\":\"CountryLetterCode\",\"newValue\":\"US\"},{\"displayName\":\"DisplayName\",\"newValue\":\"Adele Vest\"},{\"displayName\":\"DnsDomainName\",\"newValue\":\"esf.edu\"},{\"displayName\":\"ExtensionAttribute10\",\"newValue\":\"839153607\"},{\"displayName\":\"ExtensionAttribute14\",\"newValue\":\"F00177677\"},{\"displayName\":\"ExtensionAttribute15\",\"newValue\":\"C1EA2EA6EC56F3D94D2D89D95D70E4D0\"},{\"displayName\":\"ExtensionAttribute5\",\"newValue\":\"11\"},{\"displayName\":\"ExtensionAttribute6\",\"newValue\":\"A5\"},{\"displayName\":\"GivenName\",\"newValue\":\"Adele\"},{\"displayName\":\"Initials\",\"newValue\":\"S\"},{\"displayName\":\"LastPasswordChangeTimestamp\",\"newValue\":\"20210927140916.0Z\"},{\"displayName\":\"LegacyExchangeDN\",\"newValue\":\"/o=ESF/ou=External (FYDIBOHF25SPDLT)/cn=Recipients/cn=b499521b46264967a6de75f1a08add7a\"},{\"displayName\":\"Mail\",\"newValue\":\"adelev@chicago.com\"},{\"displayName\":\"MSExchElcMailboxFlags\",\"newValue\":\"2\"},{\"displayName\":\"MSExchMailboxGuid\",\"newValue\":\"+klu7DM5yE+9tOs6MuGxsw==\"},{\"displayName\":\"MSExchRecipientDisplayType\",\"newValue\":\"-2147483642\"},{\"displayName\":\"MSExchRecipientTypeDetails\",\"newValue\":\"2147483648\"},{\"displayName\":\"MSExchRemoteRecipientType\",\"newValue\":\"4\"},{\"displayName\":\"MSExchSafeSendersHash\",\"newValue\":\"gny5JQ==\"},{\"displayName\":\"NetBiosName\",\"newValue\":\"ESF\"},{\"displayName\":\"OnPremisesDistinguishedName\",\"newValue\":\"CN=AdeleV,CN=Users,DC=corp,DC=chicago,DC=com\"},{\"displayName\":\"OnPremiseSecurityIdentifier\",\"newValue\":\"AQUAAAAAAAUVAAAAXAMNf/YJ8nmaUZofGG4BAA==\"},{\"displayName\":\"OnPremisesSamAccountName\",\"newValue\":\"adelev\"},{\"displayName\":\"OnPremisesUserPrincipalName\",\"newValue\":\"adelev@chicago.com\"},{\"displayName\":\"PostalCode\",\"newValue\":\"13210\"},{\"displayName\":\"ProxyAddresses\",\"newValue\":\"X, 5, 0,  ... X400:C=US;A= ;P=ESF;O=MAIL;S=AdeleV;G=Adele;I=S; (5)\"},{\"displayName\":\"State\",\"newValue\":\"NY\"},{\"displayName\":\"StreetAddress\",\"newValue\":\"One Microsoft Way\"},{\"displayName\":\"Surname\",\"newValue\":\"AdeleV\"},{\"displayName\":\"TargetAddress\",\"newValue\":\"SMTP:adelev@esf0.mail.onmicrosoft.com\"},{\"displayName\":\"UserPrincipalName\",\"newValue\":\"adelev@chicago.com\"}],\"action\":\"Update\",\"changeId\":\"582595f3-53be-4843-bf0c-f57dbf8fae96\",\"endTime\":\"2022-04-21T18:40:09.5496702Z\",\"reportableIdentifier\":\"adelev@chicago.com\",\"sourceIdentity\":{\"id\":\"38a2171b-8b04-4b21-8133-ca8ae52250f3\",\"type\":\"user\"},\"sourceSystem\":{\"name\":\"Active Directory\"},\"startTime\":\"2022-04-21T18:40:07.8309453Z\",\"statusInfo\":{\"status\":\"Success\"},\"targetIdentity\":{\"id\":\"87cb2512-8e7f-4543-a9c9-e7cf8756a3ad\",\"type\":\"User\"},\"targetSystem\":{\"name\":\"Azure Active Directory\"}}"
}"""

ON_DEMAND_GROUP_TEXT = r"""{
    "@odata.context": "https://syncfabric.windowsazure.com/api/$metadata#microsoft.synchronization.stringKeyStringValuePair",
    "key": "{\"result\":\"Success\",\"details\":{}}",
    "value": "{}"
}"""

V1_SUCCESS_AWS_TEXT = r"""{
    "id": "75b5b0ae-9fc5-8d0e-e0a9-7y6a4728de56",
    "activityDateTime": "2019-05-04T03:00:54Z",
    "tenantId": "74beb175-3b80-7b63-b9d5-6f0b76082b16",
    "jobId": "aws.74beb1753b704b63b8d56f0b76082b16.10a7a801-7101-4c69-ae00-ce9f75f8460a",
    "cycleId": "b6502552-018d-79bd-8869-j47194dc65c1",
    "changeId": "b6502552-018d-89bd-9969-b49194dc65c1",
    "provisioningAction": "create",
    "durationInMilliseconds": 3236,
    "provisioningStatusInfo": {
        "status": "success",
        "errorInformation" : null
    },
    "provisioningSteps": [
        {
            "name": "EntryImport",
            "provisioningStepType": "Import",
            "status": "success",
            "description": "Retrieved RolesCompound '10a7a801-7101-4c69-ae00-ce9f75f8460a' from Contoso",
            "details": {}
        },
        {
            "name": "EntryExportUpdate",
            "provisioningStepType": "Export",
            "status": "success",
            "description": "RolesCompound '60a7a801-7101-4c69-ae00-ce9f75f8460a' was updated in Azure Active Directory",
            "details": {
                "ReportableIdentifier": "60a7a801-7101-4c69-ae00-ce9f75f8460a"
            }
        }
    ],
    "modifiedProperties": [
        {
            "displayName": "appId",
            "oldValue": null,
            "newValue": "60a7a801-7101-4c69-ae00-ce9f75f8460a"
        },
        {
            "displayName": "Roles",
            "oldValue": null,
            "newValue": "jaws-prod-role2,jaws-prod-saml2, jayaws-role,jayaws-saml, TestRole,super-saml"
        },
        {
            "displayName": "objectId",
            "oldValue": null,
            "newValue": "6nn37b93-185a-4485-a519-50c09549f3ad"
        },
        {
            "displayName": "displayName",
            "oldValue": null,
            "newValue": "Contoso"
        },
        {
            "displayName": "homepage",
            "oldValue": null,
            "newValue": "https://signin.contoso.com/saml?metadata=contoso|ISV9.1|primary|z"
        }
    ],
    "servicePrincipal": {
        "id": "6cc35b93-185a-4485-a519-50c09549g3ad",
        "displayName": "Contoso"
    },
    "sourceSystem": {
        "id": "d1e090e1-f2f4-4678-be44-6442ffff0621",
        "displayName": "Contoso",
        "details": {}
    },
    "targetSystem": {
        "id": "e69d4bd2-2da2-483e-bc49-aad4080b91b3",
        "displayName": "Azure Active Directory",
        "details": {
            "ApplicationId": "bcf4d658-ac9f-408d-bf04-e86dc10328fb",
            "ServicePrincipalId": "6nn35b93-185a-4485-a519-50c09549f3ad",
            "ServicePrincipalDisplayName": "Contoso"
        }
    },
    "initiatedBy": {
        "initiatorType": "system",
        "id": "",
        "displayName": "Azure AD Provisioning Service"
    },
    "sourceIdentity": {
        "identityType": "RolesCompound",
        "id": "60a7a801-7101-4c69-ae00-ce9f75f8460a",
        "displayName": "",
        "details": {}
    },
    "targetIdentity": {
        "identityType": "ServicePrincipal",
        "id": "6nn35b93-185a-4485-a519-50c09549f3ad",
        "displayName": "",
        "details": {}
    }
}"""

CONTOSO_REASON = (
    "Message: Contoso returned an error response with the HTTP status code 409.  This response "
    "indicates that a user or a group already exisits with the same name. This can be avoided by "
    "identifying and removing the conflicting user from Contoso via the Contoso administrative "
    "user interface, or removing the current user from the scope of provisioning either by "
    "removing their assignment to the Contoso application in Azure Active Directory or adding a "
    "scoping filter to exclude the user."
)

V1_FAILURE_CONTOSO_TEXT = r"""{
    "id": "gc532ff9-r265-ec76-861e-42e2970a8218",
    "activityDateTime": "2019-06-24T20:53:08Z",
    "tenantId": "7928d5b5-7442-4a97-ne2d-66f9j9972ecn",
    "jobId": "ContosoOutDelta.7928d5b574424a97ne2d66f9j9972ecn",
    "cycleId": "44576n58-v14b-70fj-8404-3d22tt46ed93",
    "changeId": "eaad2f8b-e6e3-409b-83bd-e4e2e57177d5",
    "provisioningAction": "create",
    "durationInMilliseconds": 2785,
    "sourceSystem": {
        "id": "0404601d-a9c0-4ec7-bbcd-02660120d8c9",
        "displayName": "Azure Active Directory",
        "details": {}
    },
    "targetSystem": {
        "id": "cd22f60b-5f2d-1adg-adb4-76ef31db996b",
        "displayName": "Contoso",
        "details": {
            "ApplicationId": "f2764360-e0ec-5676-711e-cd6fc0d4dd61",
            "ServicePrincipalId": "chc46a42-966b-47d7-9774-576b1c8bd0b8",
            "ServicePrincipalDisplayName": "Contoso"
        }
    },
    "initiatedBy": {
        "id": "",
        "displayName": "Azure AD Provisioning Service",
        "initiatorType": "system"
    },
    "servicePrincipal": {
        "id": "chc46a42-966b-47d7-9774-576b1c8bd0b8",
        "displayName": "Contoso"
    },
    "sourceIdentity": {
        "id": "5e6c9rae-ab4d-5239-8ad0-174391d110eb",
        "displayName": "Self-service Pilot",
        "identityType": "Group",
        "details": {}
    },
    "targetIdentity": {
        "id": "",
        "displayName": "",
        "identityType": "Group",
        "details": {}
    },
    "provisioningStatusInfo": {
        "status": "failure",
        "errorInformation" : {
            "errorCode": "ContosoEntryConflict",
            "reason": "Message: Contoso returned an error response with the HTTP status code 409.  This response indicates that a user or a group already exisits with the same name. This can be avoided by identifying and removing the conflicting user from Contoso via the Contoso administrative user interface, or removing the current user from the scope of provisioning either by removing their assignment to the Contoso application in Azure Active Directory or adding a scoping filter to exclude the user.",
            "additionalDetails": null,
            "errorCategory": "nonServiceFailure",
            "recommendedAction": null
        }
    },
    "provisioningSteps": [
        {
            "name": "EntryImportAdd",
            "provisioningStepType": "import",
            "status": "success",
            "description": "Received Group 'Self-service Pilot' change of type (Add) from Azure Active Directory",
            "details": {}
        },
        {
            "name": "EntrySynchronizationAdd",
            "provisioningStepType": "matching",
            "status": "success",
            "description": "Group 'Self-service Pilot' will be created in Contoso (Group is active and assigned in Azure Active Directory, but no matching Group was found in Contoso)",
            "details": {}
        },
        {
            "name": "EntryExportAdd",
            "provisioningStepType": "export",
            "status": "failure",
            "description": "Failed to create Group 'Self-service Pilot' in Contoso",
            "details": {
                "ReportableIdentifier": "Self-service Pilot"
            }
        }
    ],
    "modifiedProperties": [
        {"displayName": "objectId", "oldValue": null, "newValue": "5e0c9eae-ad3d-4139-5ad0-174391d110eb"},
        {"displayName": "displayName", "oldValue": null, "newValue": "Self-service Pilot"},
        {"displayName": "mailEnabled", "oldValue": null, "newValue": "False"},
        {"displayName": "mailNickname", "oldValue": null, "newValue": "5ce25n9a-4c5f-45c9-8362-ef3da29c66c5"},
        {"displayName": "securityEnabled", "oldValue": null, "newValue": "True"},
        {"displayName": "Name", "oldValue": null, "newValue": "Self-service Pilot"}
    ]
}"""

V1_LIVE_SCIM_GROUP_TEXT = r"""{
  "activityDateTime": "2026-07-17T12:31:10Z",
  "changeId": "e228f043-cf65-4929-bc3f-87749ad75644",
  "cycleId": "b85c7c8e-c3c5-49e0-a57e-a8a6ba9a7595",
  "durationInMilliseconds": 630,
  "id": "a3f2b676-f27c-832e-6757-be2d5ed806ba",
  "initiatedBy": {
    "displayName": "Azure AD Provisioning Service",
    "id": "",
    "initiatorType": "system"
  },
  "jobId": "scim.4b8c18bd2f9f4227af559f1061cf9c32.4ba261ce-287a-459c-93eb-7047bab3cfb9",
  "modifiedProperties": [],
  "provisioningAction": "other",
  "provisioningStatusInfo": {
    "errorInformation": null,
    "status": "skipped"
  },
  "provisioningSteps": [
    {
      "description": "Received Group 'ae0c9dc4-faba-477f-952c-423c67237700' change of type (Update) from Microsoft Entra ID",
      "details": {
        "objectId": "ae0c9dc4-faba-477f-952c-423c67237700"
      },
      "name": "EntryImportUpdate",
      "provisioningStepType": "import",
      "status": "success"
    },
    {
      "description": "Retrieved  'macos-servers-dynamic' from customappsso",
      "details": {
        "displayName": "macos-servers-dynamic",
        "externalId": "ae0c9dc4-faba-477f-952c-423c67237700",
        "id": "ffsdj2g8zwtfkd"
      },
      "name": "EntryImport",
      "provisioningStepType": "matching",
      "status": "success"
    },
    {
      "description": "Determine if Group in scope by evaluating against each scoping filter",
      "details": {
        "Active in the source system": "True",
        "Assigned to the application": "True",
        "Group has the required role": "True",
        "ScopeEvaluationResult": "{}",
        "Scoping filter evaluation passed": "True"
      },
      "name": "EntrySynchronizationScoping",
      "provisioningStepType": "scoping",
      "status": "success"
    },
    {
      "description": "The state of the entry in both the source and target systems already match. No change to the Group 'ae0c9dc4-faba-477f-952c-423c67237700' currently needs to be made.",
      "details": {
        "ReportableIdentifier": "ae0c9dc4-faba-477f-952c-423c67237700",
        "SkipReason": "RedundantExport"
      },
      "name": "EntrySynchronizationSkip",
      "provisioningStepType": "export",
      "status": "skipped"
    }
  ],
  "servicePrincipal": {
    "displayName": "Grafana PS",
    "id": "e7e9d06f-8673-4759-bfed-67d499095d2f"
  },
  "sourceIdentity": {
    "details": {
      "DisplayName": "macos-servers-dynamic",
      "id": "ae0c9dc4-faba-477f-952c-423c67237700",
      "odatatype": "Group"
    },
    "displayName": "macos-servers-dynamic",
    "id": "ae0c9dc4-faba-477f-952c-423c67237700",
    "identityType": "Group"
  },
  "sourceSystem": {
    "details": {},
    "displayName": "Microsoft Entra ID",
    "id": "e156568c-b65b-40a1-82ca-8afd5500c140"
  },
  "targetIdentity": {
    "details": {},
    "displayName": "",
    "id": "ffsdj2g8zwtfkd",
    "identityType": "urn:ietf:params:scim:schemas:core:2.0:Group"
  },
  "targetSystem": {
    "details": {
      "ApplicationId": "8adf8e6e-67b2-4cf2-a259-e3dc5476c621",
      "ServicePrincipalDisplayName": "Grafana PS",
      "ServicePrincipalId": "e7e9d06f-8673-4759-bfed-67d499095d2f"
    },
    "displayName": "customappsso",
    "id": "ed85458d-2a0d-4119-ba5f-bd264973c1af"
  },
  "tenantId": "4b8c18bd-2f9f-4227-af55-9f1061cf9c32"
}"""

BOX_REASON = (
    "Message: Box returned an error response with the HTTP status code 409.  This response "
    "indicates that a user or a group already exisits with the same name. This can be avoided by "
    "identifying and removing the conflicting user from Box via the Box administrative user "
    "interface, or removing the current user from the scope of provisioning either by removing "
    "their assignment to the Box application in Azure Active Directory or adding a scoping filter "
    "to exclude the user."
)

BETA_LEGACY_BOX_TEXT = r"""{
    "id": "gc532ff9-r265-ec76-861e-42e2970a8218",
    "activityDateTime": "2019-06-24T20:53:08Z",
    "tenantId": "7928d5b5-7442-4a97-ne2d-66f9j9972ecn",
    "jobId": "BoxOutDelta.7928d5b574424a97ne2d66f9j9972ecn",
    "cycleId": "44576n58-v14b-70fj-8404-3d22tt46ed93",
    "changeId": "eaad2f8b-e6e3-409b-83bd-e4e2e57177d5",
    "action": "Create",
    "durationInMilliseconds": 2785,
    "sourceSystem": {
        "id": "0404601d-a9c0-4ec7-bbcd-02660120d8c9",
        "displayName": "Azure Active Directory",
        "details": {}
    },
    "targetSystem": {
        "id": "cd22f60b-5f2d-1adg-adb4-76ef31db996b",
        "displayName": "Box",
        "details": {
            "ApplicationId": "f2764360-e0ec-5676-711e-cd6fc0d4dd61",
            "ServicePrincipalId": "chc46a42-966b-47d7-9774-576b1c8bd0b8",
            "ServicePrincipalDisplayName": "Box"
        }
    },
    "initiatedBy": {
        "id": "",
        "displayName": "Azure AD Provisioning Service",
        "initiatorType": "system"
    },
    "sourceIdentity": {
        "id": "5e6c9rae-ab4d-5239-8ad0-174391d110eb",
        "displayName": "Self-service Pilot",
        "identityType": "Group",
        "details": {}
    },
    "targetIdentity": {
        "id": "",
        "displayName": "",
        "identityType": "Group",
        "details": {}
    },
    "statusInfo": {
        "@odata.type": "#microsoft.graph.statusDetails",
        "status": "failure",
        "errorCode": "BoxEntryConflict",
        "reason": "Message: Box returned an error response with the HTTP status code 409.  This response indicates that a user or a group already exisits with the same name. This can be avoided by identifying and removing the conflicting user from Box via the Box administrative user interface, or removing the current user from the scope of provisioning either by removing their assignment to the Box application in Azure Active Directory or adding a scoping filter to exclude the user.",
        "additionalDetails": null,
        "errorCategory": "NonServiceFailure",
        "recommendedAction": null
    },
    "provisioningSteps": [
        {
            "name": "EntryImportAdd",
            "provisioningStepType": "import",
            "status": "success",
            "description": "Received Group 'Self-service Pilot' change of type (Add) from Azure Active Directory",
            "details": {}
        },
        {
            "name": "EntrySynchronizationAdd",
            "provisioningStepType": "matching",
            "status": "success",
            "description": "Group 'Self-service Pilot' will be created in Box (Group is active and assigned in Azure Active Directory, but no matching Group was found in Box)",
            "details": {}
        },
        {
            "name": "EntryExportAdd",
            "provisioningStepType": "export",
            "status": "failure",
            "description": "Failed to create Group 'Self-service Pilot' in Box",
            "details": {
                "ReportableIdentifier": "Self-service Pilot"
            }
        }
    ],
    "modifiedProperties": [
        {"displayName": "objectId", "oldValue": null, "newValue": "5e0c9eae-ad3d-4139-5ad0-174391d110eb"},
        {"displayName": "displayName", "oldValue": null, "newValue": "Self-service Pilot"},
        {"displayName": "mailEnabled", "oldValue": null, "newValue": "False"},
        {"displayName": "mailNickname", "oldValue": null, "newValue": "5ce25n9a-4c5f-45c9-8362-ef3da29c66c5"},
        {"displayName": "securityEnabled", "oldValue": null, "newValue": "True"},
        {"displayName": "Name", "oldValue": null, "newValue": "Self-service Pilot"}
    ]
}"""

# Diagnostic settings export (Elastic's "durationMs as string" capture, 2022), with the
# `callerIpAddress` another capture carries.
DIAGNOSTIC_DROPBOX_SKIP_TEXT = r"""{"time":"2022-08-23T13:36:50.3538931Z","resourceId":"/tenants/5611623b-9128-461e-9d7f-a0d9c270ead2/providers/Microsoft.aadiam","operationName":"Provisioning activity","operationVersion":"1.0","category":"ProvisioningLogs","tenantId":"5611623b-9128-461e-9d7f-a0d9c270ead2","resultType":"Skipped","durationMs":"828","callerIpAddress":"67.43.156.42","correlationId":"54416401-eef2-461c-8de7-385dde2b3cba","identity":"d6cbb0bd-c3ec-6455-bd3e-4282141ce369","Level":4,"properties":{"id":"d6cbb0bd-c3ec-6455-bd3e-4282141ce369","activityDateTime":"2022-08-23T13:36:50.3538931Z","tenantId":"5611623b-9128-461e-9d7f-a0d9c270ead2","jobId":"DropboxSCIMOutDelta.5611623b9128461e9d7fa0d9c270ead2.d6163622-bdf8-4b26-976f-7d573c638e2a","cycleId":"cc305635-a28e-4139-a056-42b5102933fe","changeId":"54416401-eef2-461c-8de7-385dde2b3cba","action":"Create","provisioningAction":"create","servicePrincipal":{"Id":"74866461-3754-40ed-a743-9c88ff29643e","Name":"Dropbox Business"},"sourceSystem":{"details":{},"Id":"bab3751f-8f21-4657-8fce-698f7391dbdd","Name":"Azure Active Directory"},"targetSystem":{"details":{"ApplicationId":"97e0a159-74ec-4db1-918a-c03a9c3b6b81","ServicePrincipalId":"74866461-3754-40ed-a743-9c88ff29643e","ServicePrincipalDisplayName":"Dropbox Business"},"Id":"011a448f-1441-4336-8c20-e2d2cef9c410","Name":"Dropbox"},"initiatedBy":{"Type":"system","Id":"","Name":"Azure AD Provisioning Service"},"sourceIdentity":{"identityType":"User","details":{"id":"7383d412-41f2-478f-a317-7396cc32ce9e","odatatype":"User","DisplayName":"Ellie","UserPrincipalName":"ellie@mauriziobrancaoutlook.onmicrosoft.com"},"Id":"7383d412-41f2-478f-a317-7396cc32ce9e","Name":"Ellie"},"targetIdentity":{"identityType":"urn:ietf:params:scim:schemas:core:2.0:User","details":{},"Id":"","Name":""},"provisioningStatusInfo":{"Status":"skipped","errorInformation":null},"statusInfo":{"Status":2},"provisioningSteps":[{"name":"EntryImportAdd","provisioningStepType":0,"status":0,"description":"Received User 'ellie@mauriziobrancaoutlook.onmicrosoft.com' change of type (Add) from Azure Active Directory","details":{"objectId":"7383d412-41f2-478f-a317-7396cc32ce9e","accountEnabled":"True","displayName":"Ellie","givenName":"Ellie","mailNickname":"ellie","userPrincipalName":"ellie@mauriziobrancaoutlook.onmicrosoft.com","IsSoftDeleted":"False","appRoleAssignments":"User"}},{"name":"EntrySynchronizationScoping","provisioningStepType":1,"status":0,"description":"Determine if User in scope by evaluating against each scoping filter","details":{"Active in the source system":"True","Assigned to the application":"True","User has the required role":"True","Scoping filter evaluation passed":"True","ScopeEvaluationResult":"{}"}},{"name":"EntrySynchronizationAdd","provisioningStepType":2,"status":0,"description":"User 'ellie@mauriziobrancaoutlook.onmicrosoft.com' will be created in Dropbox (User is active and assigned in Azure Active Directory, but no matching User was found in Dropbox)","details":{}},{"name":"EntrySynchronizationSkip","provisioningStepType":3,"status":2,"description":"urn:ietf:params:scim:schemas:core:2.0:User 'ellie@mauriziobrancaoutlook.onmicrosoft.com' will be skipped because the value of the property name.familyName is missing or invalid. Please update the value of the property name.familyName on the object in the source system.","details":{"PropertyName":"name.familyName","SkipReason":"AttributeValidationFailed","ReportableIdentifier":"ellie@mauriziobrancaoutlook.onmicrosoft.com"}}],"modifiedProperties":[],"durationInMilliseconds":828}}"""

JOB_CREATED_AWS_TEXT = r"""{
  "@odata.context": "https://graph.microsoft.com/beta/$metadata#servicePrincipals('29f68db3-1000-46bf-a940-f5ea3ecc39e7')/synchronization/jobs/$entity",
  "id": "aWSSingleSignon.ff8bf889e03141ac8f7baedb059892ee.bfc8712e-0986-4d47-896b-6872713598c6",
  "templateId": "aWSSingleSignon",
  "schedule": {
    "expiration": null,
    "interval": "PT40M",
    "state": "Disabled"
  },
  "status": {
    "countSuccessiveCompleteFailures": 0,
    "escrowsPruned": false,
    "code": "Paused",
    "lastExecution": null,
    "lastSuccessfulExecution": null,
    "lastSuccessfulExecutionWithExports": null,
    "quarantine": null,
    "steadyStateFirstAchievedTime": "0001-01-01T00:00:00Z",
    "steadyStateLastAchievedTime": "0001-01-01T00:00:00Z",
    "troubleshootingUrl": null,
    "progress": [],
    "synchronizedEntryCountByType": []
  },
  "synchronizationJobSettings": [
    {
      "name": "AzureIngestionAttributeOptimization",
      "value": "False"
    }
  ]
}"""

JOB_QUARANTINED_AWS_TEXT = r"""{
  "@odata.context": "https://graph.microsoft.com/beta/$metadata#servicePrincipals('29f68db3-1000-46bf-a940-f5ea3ecc39e7')/synchronization/jobs/$entity",
  "id": "aWSSingleSignon.ff8bf889e03141ac8f7baedb059892ee.bfc8712e-0986-4d47-896b-6872713598c6",
  "templateId": "aWSSingleSignon",
  "schedule": {
    "expiration": null,
    "interval": "PT40M",
    "state": "Active"
  },
  "status": {
    "countSuccessiveCompleteFailures": 1,
    "escrowsPruned": false,
    "code": "Quarantine",
    "lastSuccessfulExecution": null,
    "lastSuccessfulExecutionWithExports": null,
    "steadyStateFirstAchievedTime": "0001-01-01T00:00:00Z",
    "steadyStateLastAchievedTime": "0001-01-01T00:00:00Z",
    "troubleshootingUrl": "",
    "lastExecution": {
      "activityIdentifier": "c3173f7b-9e67-4759-828c-cb499967be57",
      "countEntitled": 0,
      "countEntitledForProvisioning": 0,
      "countEscrowed": 0,
      "countEscrowedRaw": 0,
      "countExported": 0,
      "countExports": 0,
      "countImported": 0,
      "countImportedDeltas": 0,
      "countImportedReferenceDeltas": 0,
      "state": "Failed",
      "timeBegan": "2021-05-24T21:45:53.6330529Z",
      "timeEnded": "2021-05-24T21:45:54.5581273Z",
      "error": {
        "code": "SystemForCrossDomainIdentityManagementInvalidCredentials",
        "message": "Please provide a valid tenant URL for your application.",
        "tenantActionable": true
      }
    },
    "progress": [],
    "quarantine": {
      "currentBegan": "2021-05-24T21:45:54.4981365Z",
      "nextAttempt": "2021-05-24T21:50:54.4981365Z",
      "reason": "EncounteredQuarantineException",
      "seriesBegan": "2021-05-24T21:45:54.4981365Z",
      "seriesCount": 1,
      "error": {
        "code": "SystemForCrossDomainIdentityManagementInvalidCredentials",
        "message": "Please provide a valid tenant URL for your application.",
        "tenantActionable": true
      }
    },
    "synchronizedEntryCountByType": []
  },
  "synchronizationJobSettings": [
    {
      "name": "AzureIngestionAttributeOptimization",
      "value": "False"
    }
  ]
}"""

AWS_SERVICE_PRINCIPAL_ID = "29f68db3-1000-46bf-a940-f5ea3ecc39e7"

GRAPH_ERROR_BODY = {
    "error": {
        "code": "Authorization_RequestDenied",
        "message": "Insufficient privileges to complete the operation.",
        "innerError": {
            "date": "2024-07-30T10:00:00",
            "request-id": "94fb3b52-452a-4535-a601-69e0a90e3aa2",
            "client-request-id": "94fb3b52-452a-4535-a601-69e0a90e3aa2",
        },
    }
}


def v1_success_aws() -> dict[str, Any]:
    """Graph v1.0 example 1: AWS roles imported into Entra (capitalised step types)."""
    return json.loads(V1_SUCCESS_AWS_TEXT)


def v1_failure_contoso() -> dict[str, Any]:
    """Graph v1.0 example 2: group create failed with a 409 from Contoso."""
    return json.loads(V1_FAILURE_CONTOSO_TEXT)


def v1_live_scim_group() -> dict[str, Any]:
    """The live v1.0 record: SCIM group, skipped with RedundantExport."""
    return json.loads(V1_LIVE_SCIM_GROUP_TEXT)


def beta_legacy_box() -> dict[str, Any]:
    """The legacy beta Box example: `action`, flat `statusInfo` with `@odata.type`."""
    return json.loads(BETA_LEGACY_BOX_TEXT)


def diagnostic_dropbox_skip() -> dict[str, Any]:
    """A diagnostic-settings record: envelope around PascalCase/integer-enum `properties`."""
    return json.loads(DIAGNOSTIC_DROPBOX_SKIP_TEXT)


def on_demand_skipped() -> dict[str, Any]:
    """provisionOnDemand example 1: Entra -> SCIM app, skipped (RedundantExport)."""
    return json.loads(ON_DEMAND_SKIPPED_TEXT)


def on_demand_cloud_sync_update() -> dict[str, Any]:
    """provisionOnDemand example 2: AD -> Entra (Cloud Sync), user updated."""
    return json.loads(ON_DEMAND_CLOUD_SYNC_UPDATE_TEXT)


def on_demand_group() -> dict[str, Any]:
    """provisionOnDemand example 3: a group with two members; `value` is "{}"."""
    return json.loads(ON_DEMAND_GROUP_TEXT)


def job_created_aws() -> dict[str, Any]:
    """The AWS job right after creation: paused, never run (`0001-01-01` times)."""
    return json.loads(JOB_CREATED_AWS_TEXT)


def job_quarantined_aws() -> dict[str, Any]:
    """The AWS job in quarantine (invalid SCIM credentials)."""
    return json.loads(JOB_QUARANTINED_AWS_TEXT)


def both_shapes_box() -> dict[str, Any]:
    """The Box record as newer beta sends it: legacy AND v1.0 fields side by side."""
    record = beta_legacy_box()
    record["provisioningAction"] = "create"
    record["provisioningStatusInfo"] = {
        "status": "failure",
        "errorInformation": {
            "errorCode": "BoxEntryConflict",
            "reason": BOX_REASON,
            "additionalDetails": None,
            "errorCategory": "nonServiceFailure",
            "recommendedAction": None,
        },
    }
    return record


def log_analytics_row(record: dict[str, Any] | None = None) -> dict[str, Any]:
    """An `AADProvisioningLogs` row for a Graph v1.0 record (default: the Contoso failure).

    Complex columns are JSON text with PascalCase `Id`/`Name` (initiator `Type`), as the table
    reference and its KQL samples show; `TenantId` is the workspace, `SourceSystem` the agent.
    """
    rec = copy.deepcopy(record or v1_failure_contoso())
    info = rec["provisioningStatusInfo"]
    error = info.get("errorInformation") or {}
    return {
        "TenantId": WORKSPACE_ID,
        "SourceSystem": "Azure",
        "TimeGenerated": rec["activityDateTime"],
        "Id": rec["id"],
        "AADTenantId": rec["tenantId"],
        "JobId": rec["jobId"],
        "CycleId": rec["cycleId"],
        "ChangeId": rec["changeId"],
        "ProvisioningAction": rec["provisioningAction"],
        "ResultType": info["status"].capitalize(),
        "ResultSignature": error.get("errorCode") or "",
        "ResultDescription": error.get("reason") or "",
        "DurationMs": rec["durationInMilliseconds"],
        "OperationName": "Provisioning activity",
        "OperationVersion": "1.0",
        "Category": "ProvisioningLogs",
        "CorrelationId": rec["changeId"],
        "ServicePrincipal": json.dumps(_pascal(rec["servicePrincipal"])),
        "SourceIdentity": json.dumps(_pascal(rec["sourceIdentity"])),
        "TargetIdentity": json.dumps(_pascal(rec["targetIdentity"])),
        "TargetSystem": json.dumps(_pascal(rec["targetSystem"])),
        "InitiatedBy": json.dumps(_pascal(rec["initiatedBy"])),
        "ProvisioningStatusInfo": json.dumps(info),
        "ProvisioningSteps": json.dumps(rec["provisioningSteps"]),
        "ModifiedProperties": json.dumps(rec["modifiedProperties"]),
        "Type": "AADProvisioningLogs",
    }


def _pascal(obj: dict[str, Any]) -> dict[str, Any]:
    names = {"id": "Id", "displayName": "Name", "initiatorType": "Type"}
    return {names.get(k, k): v for k, v in obj.items()}


def log_analytics_query_result(*rows: dict[str, Any]) -> dict[str, Any]:
    """The Log Analytics query API's `{"tables": [{"columns", "rows"}]}` result for `rows`."""
    names = list(rows[0])
    types = {str: "string", int: "long"}
    columns = [{"name": n, "type": types.get(type(rows[0][n]), "dynamic")} for n in names]
    return {
        "tables": [
            {
                "name": "PrimaryResult",
                "columns": columns,
                "rows": [[r[n] for n in names] for r in rows],
            }
        ]
    }


WORKSPACE_ID = "b1e3d2c4-0000-4a5b-9c8d-1234567890ab"


def graph_page(*records: dict[str, Any], version: str = "v1.0") -> dict[str, Any]:
    """A `GET /auditLogs/provisioning` response page holding `records`."""
    return {
        "@odata.context": f"https://graph.microsoft.com/{version}/$metadata#auditLogs/provisioning",
        "value": list(records),
    }


def job_list(*jobs: dict[str, Any], service_principal_id: str = AWS_SERVICE_PRINCIPAL_ID) -> dict:
    """A `GET /servicePrincipals/{id}/synchronization/jobs` response."""
    context = (
        "https://graph.microsoft.com/beta/$metadata#servicePrincipals"
        f"('{service_principal_id}')/synchronization/jobs"
    )
    stripped = [{k: v for k, v in job.items() if k != "@odata.context"} for job in jobs]
    return {"@odata.context": context, "value": stripped}


def write_json(path: Path, data: Any, *, gz: bool = False) -> Path:
    """Write `data` as JSON (gzipped if asked), creating folders; returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = json.dumps(data).encode()
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path


def write_lines(path: Path, records: list[Any], *, gz: bool = False) -> Path:
    """Write records as JSON lines (gzipped if asked); returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = "".join(json.dumps(r) + "\n" for r in records).encode()
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path
