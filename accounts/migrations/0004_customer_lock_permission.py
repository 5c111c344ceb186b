from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_row_keys_unique"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="customer",
            options={"ordering": ["id"], "permissions": [
                ("lock_customer", "Can lock or unlock a customer's login")]},
        ),
    ]
