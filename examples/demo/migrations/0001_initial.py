"""Migration 0001_initial: 2 operations."""

from covet.orm import migrations


class Migration(migrations.Migration):
    dependencies = []

    operations = [
        # create table demo_todo_lists
        migrations.CreateModel(
            'demo_todo_lists',
            [
                ('id', migrations.Field('BigAutoField', primary_key=True)),
                ('name', migrations.Field('CharField', max_length=100, unique=True)),
                ('created_at', migrations.Field('DateTimeField')),
            ],
        ),

        # create table demo_todos
        migrations.CreateModel(
            'demo_todos',
            [
                ('id', migrations.Field('BigAutoField', primary_key=True)),
                ('todo_list_id', migrations.Field(
                    'ForeignKey', on_delete='CASCADE', target=migrations.Field('BigAutoField'),
                    to='demo_todo_lists', to_column='id',
                )),
                ('title', migrations.Field('CharField', max_length=200)),
                ('done', migrations.Field('BooleanField', default=False)),
                ('created_at', migrations.Field('DateTimeField')),
            ],
            indexes=[
                migrations.Index('demo_todos_todo_list_id_idx', ('todo_list_id',)),
            ],
        ),
    ]
